/**
 * The one error model of heo-power. Every failure a client can see is an `ApiError` with an HTTP
 * status, a stable machine-readable code and a human message; one error handler renders it as
 * `{"success": false, "error": code, "message": message}`.
 */
export type ErrorCode =
  | 'confirmation_required'
  | 'forbidden'
  | 'insufficient_scope'
  | 'internal_error'
  | 'invalid_request'
  | 'method_not_allowed'
  | 'not_found'
  | 'payload_too_large'
  | 'provider_error'
  | 'rate_limited'
  | 'request_header_fields_too_large'
  | 'request_timeout'
  | 'service_unavailable'
  | 'unauthorized'
  | 'unsupported_media_type';

export interface ErrorBody {
  readonly success: false;
  readonly error: ErrorCode;
  readonly message: string;
}

export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: ErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    code: ErrorCode,
    message: string,
    headers: Readonly<Record<string, string>> = {},
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
  }

  toBody(): ErrorBody {
    return { success: false, error: this.code, message: this.message };
  }
}

export const isApiError = (value: unknown): value is ApiError => value instanceof ApiError;

const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer' } as const;

/** Constructors for every error of the published reference, with its exact code and message. */
export const Errors = {
  unauthenticated: () =>
    new ApiError(401, 'unauthorized', 'Missing, invalid, or revoked API key', WWW_AUTHENTICATE),
  insufficientScope: () =>
    new ApiError(403, 'insufficient_scope', 'This API key only has read scope'),
  notFound: () => new ApiError(404, 'not_found', 'Endpoint not found'),
  methodNotAllowed: (allow: string) =>
    new ApiError(405, 'method_not_allowed', 'Method not allowed', { allow }),
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError(429, 'rate_limited', 'Too many requests', {
      'retry-after': String(retryAfterSeconds),
    }),
  providerError: () => new ApiError(502, 'provider_error', 'Failed to send action'),
  invalidJson: () => new ApiError(400, 'invalid_request', 'Request body is not valid JSON'),
  invalidRequest: (message: string) => new ApiError(400, 'invalid_request', message),
  payloadTooLarge: (limitBytes: number) =>
    new ApiError(413, 'payload_too_large', `Request body must not exceed ${limitBytes} bytes`),
  unsupportedMediaType: () =>
    new ApiError(415, 'unsupported_media_type', 'Request body must be JSON (application/json)'),
  headersTooLarge: () =>
    new ApiError(431, 'request_header_fields_too_large', 'Request headers are too large'),
  requestTimeout: () =>
    new ApiError(408, 'request_timeout', 'The request was not received in time'),
  serviceUnavailable: () =>
    new ApiError(503, 'service_unavailable', 'Service temporarily unavailable, try again shortly'),
  internal: () => new ApiError(500, 'internal_error', 'Internal server error'),
} as const;
