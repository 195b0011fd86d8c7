import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ApiError, Errors } from './api-errors.js';
import { JSON_TYPE, type HttpConventions } from './conventions.js';
import { toApiError } from './error-mapping.js';
import { timeOutBodyRead } from './request-body.js';

/**
 * The one place that renders Fastify's errors: ours, the framework's, unknown routes and malformed
 * HTTP all leave as `{"success": false, "error": code, "message": text}`. It renders only: the
 * power pipeline answers (and records) its own refusals, and never reaches it.
 */
export const registerErrorHandling = (app: FastifyInstance): void => {
  app.setNotFoundHandler(async () => {
    throw Errors.notFound();
  });
  app.setErrorHandler((thrown: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { error, expected } = toApiError(thrown);
    if (!expected) request.log.error({ err: thrown }, 'request failed');
    void sendError(reply, error);
  });
};

/**
 * Error bodies are always the envelope serialised once per error (`ApiError.json`), sent as a
 * string: the routes' response schemas document errors, they never shape the bytes.
 */
export const sendError = (reply: FastifyReply, error: ApiError): FastifyReply =>
  reply.code(error.statusCode).headers(error.headers).type(JSON_TYPE).send(error.json);

/**
 * Requests too broken to reach the router (oversized headers, bad HTTP, not received in time) get
 * the same envelope.
 */
export const clientErrorHandler =
  (conventions: HttpConventions) =>
  (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // A power request whose body is late is answered by its own pipeline (and recorded).
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && timeOutBodyRead(socket)) return;
    const apiError =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? Errors.headersTooLarge()
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? Errors.requestTimeout()
          : Errors.invalidRequest('Malformed HTTP request');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    // Closed once the answer is out: what the client may still send is never read.
    socket.write(conventions.rawAnswer(apiError, error.code));
    socket.destroySoon();
  };
