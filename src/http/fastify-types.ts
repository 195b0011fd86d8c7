import type { Principal } from '../domain/access.js';
import type { ProviderTrace } from '../services/power-service.js';
import type { PowerRoute } from './power-exchange.js';

export type { PowerRoute } from './power-exchange.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the API key is authenticated. */
    principal: Principal | null;
    /**
     * The power endpoint, set with the principal. The same as the route config's `power`, kept
     * on the request because Fastify builds a new `routeOptions` object at every access.
     */
    power: PowerRoute | null;
    /** Set on power routes; what the provider said, for the audit record. */
    trace: ProviderTrace | null;
  }
  interface FastifyContextConfig {
    power?: PowerRoute;
  }
}
