import type { Principal } from '../domain/access.js';
import type { PowerAction, PowerFamily } from '../domain/power.js';
import type { ProviderTrace } from '../services/power-service.js';

/** The power endpoint a route serves, carried in the route's config. */
export interface PowerRoute {
  readonly family: PowerFamily;
  readonly action: PowerAction;
}

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
