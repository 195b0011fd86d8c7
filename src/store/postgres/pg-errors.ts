import { DatabaseError } from 'pg';
import { StoreConflictError, StoreReferenceError, StoreUnavailableError } from '../errors.js';

/**
 * SQLSTATE codes that mean "the database cannot serve right now" rather than "this statement is
 * wrong": connection exceptions (class 08, but not a protocol violation), insufficient resources
 * (53: too many connections, disk full), shutdown and start-up (57P01-03), a statement cancelled
 * by `statement_timeout` (57014), a read-only standby after a failover (25006), and the retryable
 * serialization failures (40001, 40P01).
 */
const UNAVAILABLE_SQLSTATE = /^(08(?!P01)...|53...|57P0[123]|57014|25006|40001|40P01)$/;

/** Errors of the driver itself (no SQLSTATE): sockets, pool and client time-outs, closed pools. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const DRIVER_UNAVAILABLE =
  /connection|terminated|timeout|timed out|not queryable|pool after calling end|pool more than once/i;

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Whether `error` means the connection it happened on can no longer be trusted. */
export const isConnectionFailure = (error: unknown): boolean =>
  translatePgError(error) instanceof StoreUnavailableError;

/** pg's errors as the store's errors (`../errors.ts`); anything else is passed through. */
export const translatePgError = (error: unknown): unknown => {
  if (
    error instanceof StoreConflictError ||
    error instanceof StoreReferenceError ||
    error instanceof StoreUnavailableError
  ) {
    return error;
  }
  const code = codeOf(error);
  if (error instanceof DatabaseError) {
    if (code === '23505') return new StoreConflictError('already exists', { cause: error });
    if (code === '23503') return new StoreReferenceError('still referenced', { cause: error });
    if (code !== undefined && UNAVAILABLE_SQLSTATE.test(code)) {
      return new StoreUnavailableError(`database unavailable (${code}: ${error.message})`, {
        cause: error,
      });
    }
    return error;
  }
  if (!(error instanceof Error)) return error;
  if ((code !== undefined && NETWORK_CODES.has(code)) || DRIVER_UNAVAILABLE.test(error.message)) {
    return new StoreUnavailableError(error.message, { cause: error });
  }
  return error;
};

/**
 * What went wrong, for a log line: the message and code only. pg attaches the failed client to
 * some errors, and a client carries its connection parameters, password included.
 */
export const describePgError = (error: unknown): { message: string; code?: string } => {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? { message } : { message, code };
};
