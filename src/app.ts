import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { AuditWriter } from './audit/audit-writer.js';
import type { Authenticator } from './auth/authenticator.js';
import type { TrustProxy } from './config.js';
import { BODY_LIMIT_BYTES, registerBodyParsers } from './http/body-parsers.js';
import { clientErrorHandler, registerErrorHandling } from './http/error-handler.js';
import { toApiError } from './http/error-mapping.js';
import type { Logger } from './logger.js';
import type { RateLimiter } from './ratelimit/rate-limiter.js';
import type { PowerService } from './services/power-service.js';
import './http/fastify-types.js';
import { RequestLogController } from './http/log-controller.js';
import { REQUEST_ID_HEADER, requestIdOf } from './http/request-id.js';
import { registerHealthRoutes } from './http/routes/health-routes.js';
import { registerPowerRoutes } from './http/routes/power-routes.js';

export interface AppDependencies {
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
  readonly power: PowerService;
  readonly audit: AuditWriter;
  readonly checkStore: () => Promise<void>;
  /** Which peers to believe about the client address in `X-Forwarded-For` (load balancers). */
  readonly trustProxy?: TrustProxy;
}

export interface App {
  readonly fastify: FastifyInstance;
  /** Stop advertising readiness and close connections after their current request. */
  drain(): void;
}

/** A hop count N trusts the N nearest proxies: the client is the N-th address from the right. */
const fastifyTrustProxy = (
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) => {
  if (typeof trust === 'boolean') return trust;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return [...trust];
};

/** Builds the HTTP application. It does not listen and reads no environment. */
export const buildApp = (deps: AppDependencies): App => {
  let draining = false;
  // Typed as Fastify's logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const fastify = Fastify({
    loggerInstance,
    logController: new RequestLogController(),
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Long ids are answered like any unknown id, not as an unknown route.
    routerOptions: { maxParamLength: 16_384 },
    exposeHeadRoutes: false,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    trustProxy: fastifyTrustProxy(deps.trustProxy ?? false),
    clientErrorHandler: clientErrorHandler(deps.logger),
    frameworkErrors: (thrown, _request, reply: FastifyReply) => {
      const { error } = toApiError(thrown);
      void reply.code(error.statusCode).headers(error.headers).send(error.toBody());
    },
  });

  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('trace', null);
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (draining) reply.header('connection', 'close');
  });

  registerBodyParsers(fastify);
  registerErrorHandling(fastify, deps.audit);
  registerHealthRoutes(fastify, { checkStore: deps.checkStore, isDraining: () => draining });
  registerPowerRoutes(fastify, deps);

  return {
    fastify,
    drain: () => {
      draining = true;
    },
  };
};

export { BODY_LIMIT_BYTES };
