import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditWriter } from '../audit/audit-writer.js';
import { type ApiError, Errors } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { auditEntryOf } from './audit-entry.js';
import { toApiError } from './error-mapping.js';

/**
 * The one place that renders errors: ours, the framework's, unknown routes and malformed HTTP all
 * leave as `{"success": false, "error": code, "message": text}`. A refused power request is
 * recorded in the audit log before its reply.
 */
export const registerErrorHandling = (app: FastifyInstance, audit: AuditWriter): void => {
  app.setNotFoundHandler(async () => {
    throw Errors.notFound();
  });

  app.setErrorHandler(
    async (thrown: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { error, expected } = toApiError(thrown);
      if (!expected) request.log.error({ err: thrown }, 'request failed');
      const entry = auditEntryOf(request, error.statusCode, error.code);
      if (entry !== null) {
        try {
          await audit.record(entry);
        } catch (auditError) {
          request.log.error(
            { err: auditError },
            'could not record a refused request in the audit log',
          );
        }
      }
      return reply.code(error.statusCode).headers(error.headers).send(error.toBody());
    },
  );
};

const rawResponse = (error: ApiError): string => {
  const body = JSON.stringify(error.toBody());
  return [
    `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
};

/** Requests too broken to reach the router (oversized headers, bad HTTP) get the same envelope. */
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
    logger.debug({ code: error.code }, 'client error');
    if (socket.writable) socket.end(rawResponse(apiError));
    else socket.destroy();
  };
