import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditWriter } from '../audit/audit-writer.js';
import { type ApiError, Errors } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { AuditEntry } from '../store/store.js';
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
      const entry = auditEntryOf(request, error.statusCode, error.code);
      if (entry !== null && thrown instanceof StoreUnavailableError) {
        // The store just failed this very request: trying to record the refusal there would only
        // hold the 503 for another time-out. The log line is the record instead, with what the
        // provider was asked to do if the request got that far (a cached key and machine).
        request.log.error(
          { err: thrown, audit: entry },
          'store unavailable: answered 503 without an audit record',
        );
      } else {
        if (!expected) request.log.error({ err: thrown }, 'request failed');
        if (entry !== null) await recordRefusal(audit, request, entry);
      }
      return sendError(reply, error);
    },
  );
};

const recordRefusal = async (
  audit: AuditWriter,
  request: FastifyRequest,
  entry: AuditEntry,
): Promise<void> => {
  try {
    await audit.record(entry);
  } catch (auditError) {
    request.log.error({ err: auditError }, 'could not record a refused request in the audit log');
  }
};

/**
 * Error bodies are always plain `JSON.stringify` of the envelope: the routes' response schemas
 * document errors, they never shape the bytes.
 */
export const sendError = (reply: FastifyReply, error: ApiError): FastifyReply =>
  reply
    .code(error.statusCode)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .serializer(JSON.stringify)
    .send(error.toBody());

const rawResponse = (error: ApiError, requestId: string): string => {
  const body = JSON.stringify(error.toBody());
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
