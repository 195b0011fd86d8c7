import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { AuditWriter } from './audit/audit-writer.js';
import type { Authenticator } from './auth/authenticator.js';
import type { TrustProxy } from './config.js';
import { BODY_LIMIT_BYTES, registerBodyParsers } from './http/body-parsers.js';
import { clientErrorHandler, registerErrorHandling, sendError } from './http/error-handler.js';
import { toApiError } from './http/error-mapping.js';
import type { Logger } from './logger.js';
import { type ServiceObserver, UNMATCHED_ROUTE } from './metrics/observers.js';
import type { RateLimiter } from './ratelimit/rate-limiter.js';
import type { AccessCache } from './services/access-cache.js';
import type { ActionSender } from './services/action-sender.js';
import type { IdempotencyGuard } from './services/idempotency-guard.js';
import { clientAddressOf, proxyTrustOf } from './http/client-address.js';
import type { FailureBudget } from './auth/failure-budget.js';
import {
  capConnectionsPerClient,
  type ConnectionLimits,
  serverTimeouts,
} from './http/connection-limits.js';
import { HttpConventions } from './http/conventions.js';
import { routeEveryMethod } from './http/method-not-allowed.js';
import { PowerPipeline } from './http/power-pipeline.js';
import { directPowerTransport } from './http/transports/direct-power.js';
import { registerPowerRoutes } from './http/transports/fastify-power.js';
import { registerReadRoutes } from './http/transports/fastify-reads.js';
import type { ActionReader } from './services/action-reader.js';
import type { StateReader } from './services/state-reader.js';
import { REQUEST_ID_HEADER } from './http/request-id.js';
import { registerDocsPage } from './http/openapi/docs-page.js';
import { registerOpenApiDocument } from './http/openapi/document.js';
import { registerHealthRoutes } from './http/routes/health-routes.js';
import { registerOpenApiRoute } from './http/routes/openapi-route.js';
import { acceptAsIs } from './http/schemas/accept-as-is.js';
import { sharedFastifyOptions } from './http/fastify-options.js';

export interface AppDependencies {
  readonly logger: Logger;
  readonly caches: AccessCache;
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
  /** Reads per key, apart from power actions; without it reads share `limiter`. */
  readonly readLimiter?: RateLimiter | undefined;
  /** What the read routes read: actions and the machines a key reaches. */
  readonly reader: ActionReader;
  /** Machines' power state from their back-ends, cached briefly. */
  readonly states: StateReader;
  /** Failed authentications per client address (429 once used up). */
  readonly failures?: FailureBudget | null | undefined;
  readonly sender: ActionSender;
  readonly audit: AuditWriter;
  /** Claims and answers `Idempotency-Key`s of power requests. */
  readonly idempotency: IdempotencyGuard;
  readonly checkStore: () => Promise<void>;
  /** Which peers to believe about the client address in `X-Forwarded-For` (load balancers). */
  readonly trustProxy?: TrustProxy;
  /** Told about every answered request and every refusal of authentication or limit (metrics). */
  readonly observer?: ServiceObserver | undefined;
  /** How long a request may take to arrive, and how many connections one address may hold. */
  readonly limits: ConnectionLimits;
  /** The base URL the OpenAPI document names; unset: the origin of the request for it. */
  readonly publicUrl?: string | null | undefined;
}

export interface App {
  readonly fastify: FastifyInstance;
  /**
   * What the server does with each request: the direct power path when it takes the request,
   * else Fastify. Tests inject requests here, so that they see what a socket would.
   */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Stop advertising readiness and close connections after their current request. */
  drain(): void;
}

const numberOr = (value: unknown, fallback: number): number =>
  typeof value === 'number' ? value : fallback;

/** Builds the HTTP application. It does not listen and reads no environment. */
export const buildApp = (deps: AppDependencies): App => {
  const conventions = new HttpConventions(deps.logger, deps.observer);
  const trustProxy = proxyTrustOf(deps.trustProxy ?? false);
  const pipeline = new PowerPipeline({
    caches: deps.caches,
    authenticator: deps.authenticator,
    limiter: deps.limiter,
    readLimiter: deps.readLimiter,
    failures: deps.failures ?? undefined,
    sender: deps.sender,
    audit: deps.audit,
    idempotency: deps.idempotency,
    observer: deps.observer,
  });
  const direct = directPowerTransport({
    pipeline,
    conventions,
    logger: deps.logger,
    clientAddress: clientAddressOf(trustProxy),
  });
  let handle: App['handle'] = () => {
    throw new Error('the HTTP server is not built yet');
  };
  const fastify = Fastify({
    // The server Fastify would build, with the direct power path in front of Fastify's handler.
    serverFactory: (fastifyHandler, options) => {
      handle = (req, res) => {
        if (!direct(req, res)) fastifyHandler(req, res);
      };
      // A request that has not arrived whole in time is answered 408 by the client error handler
      // (or, while its body is being read, by the power path); Fastify's default is to wait forever.
      const server = createServer(serverTimeouts(deps.limits), handle);
      server.keepAliveTimeout = numberOr(options.keepAliveTimeout, 72_000);
      capConnectionsPerClient(server, deps.limits.maxPerClient);
      return server;
    },
    ...sharedFastifyOptions(deps.logger),
    return503OnClosing: false,
    trustProxy,
    clientErrorHandler: clientErrorHandler(conventions),
    // Errors found before routing (a malformed URL) skip the hooks: the request id, the
    // completion line and the count happen here.
    frameworkErrors: (thrown, request, reply: FastifyReply) => {
      reply.raw.once('finish', () => {
        const labels = { route: UNMATCHED_ROUTE, method: request.method, status: reply.statusCode };
        conventions.completed(labels, reply.elapsedTime / 1000, reply.log, () => request);
      });
      if (conventions.draining) reply.header('connection', 'close');
      void sendError(reply.header(REQUEST_ID_HEADER, request.id), toApiError(thrown).error);
    },
  });

  routeEveryMethod(fastify);
  conventions.install(fastify);
  // Route schemas document the contract; the rules (what confirms, which ids exist) live in the
  // pipeline and the domain, so request schemas never reject or coerce anything.
  fastify.setValidatorCompiler(acceptAsIs);
  registerBodyParsers(fastify);
  registerErrorHandling(fastify);
  // The generator sees only routes registered after it, so the routes load as a plugin after it.
  registerOpenApiDocument(fastify);
  registerDocsPage(fastify);
  void fastify.register(async (api) => {
    registerHealthRoutes(api, {
      checkStore: deps.checkStore,
      isDraining: () => conventions.draining,
    });
    registerPowerRoutes(api, { pipeline, conventions });
    registerReadRoutes(api, { pipeline, conventions, reader: deps.reader, states: deps.states });
    registerOpenApiRoute(api, { publicUrl: deps.publicUrl ?? null });
  });

  return {
    fastify,
    handle: (req, res) => {
      handle(req, res);
    },
    drain: () => {
      conventions.drain();
    },
  };
};

export { BODY_LIMIT_BYTES };
