import type { Server } from 'node:http';
import { type FastifyBaseLogger, type FastifyHttpOptions, LogController } from 'fastify';
import type { Logger } from '../logger.js';
import { BODY_LIMIT_BYTES } from './body-parsers.js';
import { requestIdOf } from './request-id.js';
import { deferredChildLoggers } from './request-logger.js';

/** The Fastify options the public and the admin application share. */
export const sharedFastifyOptions = (logger: Logger): FastifyHttpOptions<Server> => {
  // Typed as Fastify's logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = logger;
  return {
    loggerInstance,
    // The completion line of every request is written by the conventions, as on the direct path.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: deferredChildLoggers(logger),
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Long ids are answered like any unknown id, not as an unknown route.
    routerOptions: { maxParamLength: 16_384 },
    exposeHeadRoutes: false,
    forceCloseConnections: 'idle',
  };
};
