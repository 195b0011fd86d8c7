import type { ProviderReason } from '../domain/power.js';
/**
 * The one error model of heo-power's HTTP answers. Every failure a client can see is an `ApiError` with an HTTP
 * status, a stable machine-readable code and a human message; one error handler renders it as
 * `{"success": false, "error": code, "message": message}`.
 */
export type ErrorCode =
  | 'confirmation_required'
  | 'conflict'
  | 'forbidden'
  | 'idempotency_key_in_use'
  | 'idempotency_key_outcome_unknown'
  | 'idempotency_key_reused'
  | 'in_use'
  | 'insufficient_scope'
  | 'internal_error'
  | 'invalid_request'
  | 'method_not_allowed'
  | 'not_found'
  | 'payload_too_large'
  | 'provider_error'
  | 'rate_limited'
  | 'refused'
  | 'request_header_fields_too_large'
  | 'request_timeout'
  | 'service_unavailable'
  | 'unauthorized'
  | 'unsupported_media_type';

export interface ErrorBody {
  readonly success: false;
  readonly error: ErrorCode;
  readonly message: string;
  /** Fields some errors add beside the envelope (the 502's `reason`). */
  readonly [field: string]: string | false;
}

export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly headers: Readonly<Record<string, string>>;
  /** Fields beside `success`, `error` and `message`, after them. */
  readonly fields: Readonly<Record<string, string>>;
  /** The envelope, serialised once. */
  readonly json: string;

  constructor(
    statusCode: number,
    code: ErrorCode,
    message: string,
    headers: Readonly<Record<string, string>> = {},
    fields: Readonly<Record<string, string>> = {},
  ) {
    // Client errors are expected outcomes on hot paths (401 under brute force, 429 under load):
    // capturing a stack trace for them costs more than the rest of the request.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
    this.headers = headers;
    this.fields = fields;
    this.json = JSON.stringify(this.toBody());
  }

  toBody(): ErrorBody {
    return { success: false, error: this.code, message: this.message, ...this.fields };
  }
}

export const isApiError = (value: unknown): value is ApiError => value instanceof ApiError;

const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer' } as const;

/** What `Retry-After` asks of a client answered 503: the store or the instance is away briefly. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/** What `Retry-After` asks of a client whose `Idempotency-Key` is in use by a running request. */
export const IDEMPOTENCY_RETRY_AFTER_SECONDS = 1;

/**
 * An error that never changes is built once and shared: refusals are the hot path of brute force
 * and of clients over their limit, and an error object per request is measurable there. Shared
 * errors are frozen, so nothing can alter one for the next request.
 */
export const shared = (make: () => ApiError): (() => ApiError) => {
  let error: ApiError | undefined;
  return () => (error ??= Object.freeze(make()));
};

/** Like `shared`, one error per distinct argument (a bounded set: actions, header values...). */
export const sharedBy = <K>(make: (key: K) => ApiError): ((key: K) => ApiError) => {
  const errors = new Map<K, ApiError>();
  return (key) => {
    let error = errors.get(key);
    if (error === undefined) {
      error = Object.freeze(make(key));
      errors.set(key, error);
    }
    return error;
  };
};

/** Every error of the published reference, and of where it is silent, with its code and message. */
export const Errors = {
  unauthenticated: shared(
    () =>
      new ApiError(401, 'unauthorized', 'Missing, invalid, or revoked API key', WWW_AUTHENTICATE),
  ),
  insufficientScope: shared(
    () => new ApiError(403, 'insufficient_scope', 'This API key only has read scope'),
  ),
  notFound: shared(() => new ApiError(404, 'not_found', 'Endpoint not found')),
  methodNotAllowed: sharedBy(
    (allow: string) => new ApiError(405, 'method_not_allowed', 'Method not allowed', { allow }),
  ),
  rateLimited: sharedBy(
    (retryAfterSeconds: number) =>
      new ApiError(429, 'rate_limited', 'Too many requests', {
        'retry-after': String(retryAfterSeconds),
      }),
  ),
  providerError: shared(() => new ApiError(502, 'provider_error', 'Failed to send action')),
  /** The same 502, and why, in a field of its own. */
  providerRefused: sharedBy(
    (reason: ProviderReason) =>
      new ApiError(502, 'provider_error', 'Failed to send action', {}, { reason }),
  ),
  invalidJson: shared(() => new ApiError(400, 'invalid_request', 'Request body is not valid JSON')),
  invalidRequest: (message: string) => new ApiError(400, 'invalid_request', message),
  bodyIncomplete: shared(
    () => new ApiError(400, 'invalid_request', 'The request body was not received completely'),
  ),
  contentLengthMismatch: shared(
    () => new ApiError(400, 'invalid_request', 'Content-Length does not match the request body'),
  ),
  payloadTooLarge: sharedBy(
    (limitBytes: number) =>
      new ApiError(413, 'payload_too_large', `Request body must not exceed ${limitBytes} bytes`),
  ),
  unsupportedMediaType: shared(
    () =>
      new ApiError(415, 'unsupported_media_type', 'Request body must be JSON (application/json)'),
  ),
  headersTooLarge: shared(
    () => new ApiError(431, 'request_header_fields_too_large', 'Request headers are too large'),
  ),
  // The rest of the request may still be on its way: the connection cannot carry another one.
  requestTimeout: shared(
    () =>
      new ApiError(408, 'request_timeout', 'The request was not received in time', {
        connection: 'close',
      }),
  ),
  // Every 503 says when to try again, whichever path answers it.
  serviceUnavailable: shared(
    () =>
      new ApiError(
        503,
        'service_unavailable',
        'Service temporarily unavailable, try again shortly',
        {
          'retry-after': String(SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS),
        },
      ),
  ),
  internal: shared(() => new ApiError(500, 'internal_error', 'Internal server error')),
  /** A malformed `Idempotency-Key`; the message says what is wrong (a bounded set of texts). */
  invalidIdempotencyKey: sharedBy(
    (message: string) => new ApiError(400, 'invalid_request', message),
  ),
  idempotencyKeyInUse: shared(
    () =>
      new ApiError(
        409,
        'idempotency_key_in_use',
        'A request with this Idempotency-Key is in progress',
        {
          'retry-after': String(IDEMPOTENCY_RETRY_AFTER_SECONDS),
        },
      ),
  ),
  idempotencyKeyReused: shared(
    () =>
      new ApiError(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was used for a different request',
      ),
  ),
  /** The first request with the key ended without its outcome being recorded. */
  idempotencyOutcomeUnknown: shared(
    () =>
      new ApiError(
        409,
        'idempotency_key_outcome_unknown',
        'The request with this Idempotency-Key did not complete and its outcome is unknown: ' +
          "check the machine's actions and state, and send a new request with a new key if needed",
      ),
  ),
} as const;
