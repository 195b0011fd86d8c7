import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { type Admission, type Gate, type PowerRoute, rateLimitHeaders } from '../power-exchange.js';

const admitted = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
  route: PowerRoute,
  admission: Admission,
): void => {
  if (admission.principal !== null) {
    request.principal = admission.principal;
    request.power = route;
  }
  if (admission.limit !== null) {
    const headers = rateLimitHeaders(admission.limit);
    for (let i = 0; i < headers.length; i += 2) reply.header(headers[i] ?? '', headers[i + 1]);
  }
  if (admission.refusal === null) done();
  else done(admission.refusal);
};

/**
 * The gate as a route hook. Rate-limit headers go on every authenticated response:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy`.
 *
 * A callback hook rather than an async one: with the key cached and the limit in memory, the
 * whole guard runs synchronously, with no promise per request. A refusal is passed to `done` and
 * rendered by the error handler like any other error.
 */
export const authenticateAndLimit =
  (gate: Gate, route: PowerRoute) =>
  (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const admission = gate.admit(request.headers.authorization, route);
    if (admission instanceof Promise) {
      admission.then((ready) => {
        admitted(request, reply, done, route, ready);
      }, done);
    } else {
      admitted(request, reply, done, route, admission);
    }
  };
