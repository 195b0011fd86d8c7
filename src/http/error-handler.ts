import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditWriter } from '../audit/audit-writer.js';
import { type ApiError, Errors } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { auditSubjectOf } from './audit-entry.js';
import { settleRefusal } from './power-exchange.js';

/**
 * The one place that renders errors: ours, the framework's, unknown routes and malformed HTTP all
 * leave as `{"success": false, "error": code, "message": text}`. A refused power request is
 * recorded in the audit log before its reply.
 */
export const registerErrorHandling = (app: FastifyInstance, audit: AuditWriter): void => {
  app.setNotFoundHandler(async () => {
    throw Errors.notFound();
  });

  const send = (reply: FastifyReply, error: ApiError): void => {
    void sendError(reply, error);
  };

  app.setErrorHandler(
    (thrown: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<void> | void => {
      const settled = settleRefusal(thrown, auditSubjectOf(request), request.log, audit);
      if (!(settled instanceof Promise)) {
        send(reply, settled);
        return;
      }
      return settled.then((error) => {
        send(reply, error);
      });
    },
  );
};

/**
 * Error bodies are always the envelope serialised once per error (`ApiError.json`), sent as a
 * string: the routes' response schemas document errors, they never shape the bytes.
 */
export const sendError = (reply: FastifyReply, error: ApiError): FastifyReply =>
  reply
    .code(error.statusCode)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send(error.json);

const rawResponse = (error: ApiError, requestId: string): string => {
  const body = error.json;
  return [
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
};

/**
 * Requests too broken to reach the router (oversized headers, bad HTTP) get the same envelope, and
 * a fresh request id: whatever the client sent cannot be trusted to have been read.
 */
export const clientErrorHandler =
  (logger: Logger) =>
  (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const apiError =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? Errors.headersTooLarge()
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? Errors.requestTimeout()
          : Errors.invalidRequest('Malformed HTTP request');
    const requestId = randomUUID();
    logger.debug({ code: error.code, reqId: requestId }, 'client error');
    if (socket.writable) socket.end(rawResponse(apiError, requestId));
    else socket.destroy();
  };
