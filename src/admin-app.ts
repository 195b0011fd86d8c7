import Fastify, { type FastifyInstance } from 'fastify';
import { registerBodyParsers } from './http/body-parsers.js';
import { requireAdminToken } from './http/admin/admin-auth.js';
import { registerAdminErrorHandling } from './http/admin/admin-errors.js';
import { registerAdminOpenApi, registerAdminOpenApiRoute } from './http/admin/admin-openapi.js';
import { registerKeyRoutes } from './http/admin/key-routes.js';
import { registerMachineRoutes } from './http/admin/machine-routes.js';
import { registerProviderRoutes } from './http/admin/provider-routes.js';
import { sharedFastifyOptions } from './http/fastify-options.js';
import { REQUEST_ID_HEADER } from './http/request-id.js';
import { acceptAsIs } from './http/schemas/accept-as-is.js';
import type { Logger } from './logger.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { AdminTokenService } from './services/admin-token-service.js';
import type { KeyService } from './services/key-service.js';
import type { MachineService } from './services/machine-service.js';
import type { ProviderStore } from './store/store.js';

export interface AdminAppDependencies {
  readonly logger: Logger;
  readonly adminTokens: AdminTokenService;
  readonly keys: KeyService;
  readonly machines: MachineService;
  readonly providers: ProviderStore;
  readonly registry: ProviderRegistry;
}

/**
 * Builds the admin HTTP API: a Fastify instance of its own, for a listener of its own
 * (`HEO_ADMIN_PORT`), so that nothing of it is reachable on the public port. It does not listen
 * and reads no environment.
 */
export const buildAdminApp = (deps: AdminAppDependencies): FastifyInstance => {
  const fastify = Fastify(sharedFastifyOptions(deps.logger));
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
    registerAdminOpenApiRoute(admin);
    void admin.register(async (authenticated) => {
      requireAdminToken(authenticated, deps.adminTokens);
      registerKeyRoutes(authenticated, deps.keys);
      registerMachineRoutes(authenticated, deps.machines);
      registerProviderRoutes(authenticated, {
        machines: deps.machines,
        providers: deps.providers,
        registry: deps.registry,
      });
      // GET /admin/v1/audit (the audit log, for dashboards) belongs here, behind the same token
      // check, once the store can answer its queries.
    });
  });
  return fastify;
};
