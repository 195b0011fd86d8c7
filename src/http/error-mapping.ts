import { ApiError, Errors, isApiError } from './api-errors.js';
import { StoreUnavailableError } from '../store/errors.js';
import { BODY_LIMIT_BYTES } from './body-parsers.js';

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

const statusOf = (error: unknown): number | undefined => {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/**
 * Every error, ours or the framework's, as the `ApiError` a client sees. Unknown errors become a
 * generic 500 that names nothing internal; `expected` says whether the error was anticipated.
 */
export const toApiError = (
  error: unknown,
): { readonly error: ApiError; readonly expected: boolean } => {
  if (isApiError(error)) return { error, expected: true };
  if (error instanceof StoreUnavailableError)
    return { error: Errors.serviceUnavailable(), expected: false };
  switch (codeOf(error)) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: Errors.payloadTooLarge(BODY_LIMIT_BYTES), expected: true };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: Errors.unsupportedMediaType(), expected: true };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: Errors.invalidJson(), expected: true };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: Errors.contentLengthMismatch(), expected: true };
    case 'FST_ERR_BAD_URL':
      return { error: Errors.invalidRequest('Malformed request URL'), expected: true };
    case 'FST_ERR_VALIDATION':
      return {
        error: Errors.invalidRequest('Request does not match the endpoint schema'),
        expected: true,
      };
  }
  if (error instanceof SyntaxError) return { error: Errors.invalidJson(), expected: true };
  const status = statusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    return {
      error: new ApiError(status, 'invalid_request', 'The request could not be processed'),
      expected: true,
    };
  }
  return { error: Errors.internal(), expected: false };
};
