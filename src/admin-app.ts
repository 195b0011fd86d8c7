import Fastify, { type FastifyInstance, type HTTPMethods } from 'fastify';
import type { FailureBudget } from './auth/failure-budget.js';
import type { TrustProxy } from './config.js';
import { registerBodyParsers } from './http/body-parsers.js';
import { proxyTrustOf } from './http/client-address.js';
import { requireAdminToken } from './http/admin/admin-auth.js';
import { registerAdminErrorHandling } from './http/admin/admin-errors.js';
import { registerAdminOpenApi, registerAdminOpenApiRoute } from './http/admin/admin-openapi.js';
import { registerKeyRoutes } from './http/admin/key-routes.js';
import { type LogStores, registerLogRoutes } from './http/admin/log-routes.js';
import { registerMachineRoutes } from './http/admin/machine-routes.js';
import { registerProviderRoutes } from './http/admin/provider-routes.js';
import { registerWebhookRoutes } from './http/admin/webhook-routes.js';
import { sharedFastifyOptions } from './http/fastify-options.js';
import { refuseOtherMethods, routeEveryMethod } from './http/method-not-allowed.js';
import { REQUEST_ID_HEADER } from './http/request-id.js';
import { acceptAsIs } from './http/schemas/accept-as-is.js';
import type { Logger } from './logger.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { AdminTokenService } from './services/admin-token-service.js';
import type { KeyService } from './services/key-service.js';
import type { MachineService } from './services/machine-service.js';
import type { WebhookService } from './services/webhook-service.js';
import type { ProviderStore } from './store/store.js';

export interface AdminAppDependencies {
  readonly logger: Logger;
  readonly adminTokens: AdminTokenService;
  readonly keys: KeyService;
  readonly machines: MachineService;
  readonly providers: ProviderStore;
  readonly registry: ProviderRegistry;
  readonly webhooks: WebhookService;
  /** What `GET /admin/v1/audit` and `/admin/v1/operator-log` read. */
  readonly logs: LogStores;
  /** Failed admin token checks per client address (429 once used up); `null`: no budget. */
  readonly failures?: FailureBudget | null | undefined;
  /** Whose `X-Forwarded-For` to believe for the client address (`HEO_TRUST_PROXY`). */
  readonly trustProxy?: TrustProxy | undefined;
}

/** The methods each path of `app`'s routes serves, as they are registered. */
const collectMethods = (app: FastifyInstance): Map<string, HTTPMethods[]> => {
  const served = new Map<string, HTTPMethods[]>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    served.set(route.url, [...(served.get(route.url) ?? []), ...methods]);
  });
  return served;
};

/**
 * Builds the admin HTTP API: a Fastify instance of its own, for a listener of its own
 * (`HEO_ADMIN_PORT`), so that nothing of it is reachable on the public port. It does not listen
 * and reads no environment.
 */
export const buildAdminApp = (deps: AdminAppDependencies): FastifyInstance => {
  const fastify = Fastify({
    ...sharedFastifyOptions(deps.logger),
    trustProxy: proxyTrustOf(deps.trustProxy ?? false),
  });
  routeEveryMethod(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // One line per request, without headers (the token) or bodies (keys, provider credentials).
  fastify.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      { req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
      'admin request completed',
    );
    done();
  });
  // Schemas document; handlers check what they read and answer with the field's name.
  fastify.setValidatorCompiler(acceptAsIs);
  fastify.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerBodyParsers(fastify);
  registerAdminErrorHandling(fastify);
  registerAdminOpenApi(fastify);
  void fastify.register(async (admin) => {
    const served = collectMethods(admin);
    registerAdminOpenApiRoute(admin);
    await admin.register(async (authenticated) => {
      requireAdminToken(authenticated, deps.adminTokens, deps.failures ?? null);
      registerKeyRoutes(authenticated, deps.keys);
      registerMachineRoutes(authenticated, deps.machines);
      registerProviderRoutes(authenticated, {
        machines: deps.machines,
        providers: deps.providers,
        registry: deps.registry,
      });
      registerLogRoutes(authenticated, deps.logs);
      registerWebhookRoutes(authenticated, deps.webhooks);
    });
    // Another method on a known path is 405 with `Allow`, before the token is checked (these
    // routes are outside the authenticated scope); an unknown path stays 404.
    for (const [url, methods] of [...served]) refuseOtherMethods(admin, url, methods);
  });
  return fastify;
};
