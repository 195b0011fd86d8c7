import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Log, Logger, RequestLike } from '../logger.js';

/**
 * The completion line of a request, with its status and duration (ms), when `info` is on. `log`
 * is the request's logger (bound to its request id).
 */
export const logRequestCompleted = (
  root: Logger,
  log: Log,
  req: RequestLike,
  statusCode: number,
  responseTime: number,
): void => {
  if (!root.isLevelEnabled('info')) return;
  log.info({ req, res: { statusCode }, responseTime }, 'request completed');
};

/** One log line per request, when it completes, with its status and duration. */
export class RequestLogController extends LogController {
  readonly #root: Logger;

  constructor(root: Logger) {
    super();
    this.#root = root;
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error(
        { req: request, res: reply, responseTime: reply.elapsedTime, err: error },
        'request errored',
      );
      return;
    }
    logRequestCompleted(this.#root, reply.log, request, reply.statusCode, reply.elapsedTime);
  }
}
