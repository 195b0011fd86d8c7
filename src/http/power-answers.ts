import type { PowerAction, PowerFamily, ResourceType } from '../domain/power.js';
import type { Refusal } from '../domain/refusal.js';
import { IdempotencyKeyProblems } from '../domain/idempotency-key.js';
import { ApiError, Errors, shared, sharedBy } from './api-errors.js';
import { BODY_LIMIT_BYTES } from './body-parsers.js';

/**
 * The published answers of the power endpoints: the success body of each family and action, and
 * the one table that turns a refusal of the rules into its status, error code and message.
 */

const capitalised = (action: PowerAction): string =>
  action.charAt(0).toUpperCase() + action.slice(1);

/** `Start action sent`, as in the reference. */
export const successMessage = (action: PowerAction): string => `${capitalised(action)} action sent`;

export const confirmationRequired = sharedBy(
  (action: PowerAction) =>
    new ApiError(400, 'confirmation_required', `${capitalised(action)} requires force=true`),
);

const DENIED: { readonly [type in ResourceType]: () => ApiError } = {
  vps: shared(() => new ApiError(403, 'unauthorized', 'You do not have access to this VPS')),
  game: shared(() => new ApiError(403, 'forbidden', 'You do not have access to this game server')),
};

const stateUnreadable = shared(() => new ApiError(502, 'provider_error', 'Failed to read state'));
const actionNotFound = shared(() => new ApiError(404, 'not_found', 'Action not found'));
const invalidLimit = shared(() =>
  Errors.invalidRequest('limit must be a whole number from 1 to 100'),
);
const invalidCursor = shared(() =>
  Errors.invalidRequest('cursor is not one this API gave out; start again without it'),
);

/** The 403 answered for an id outside the key's scope, known or not: one per family. */
export const deniedError = (family: PowerFamily): ApiError => DENIED[family.type]();

/**
 * The published error of a refusal. `retryAfterSeconds` is what is left of the key's window (429
 * only).
 */
export const refusalError = (
  refusal: Refusal,
  family: PowerFamily,
  action: PowerAction | null,
  retryAfterSeconds: number,
): ApiError => {
  switch (refusal.code) {
    // A thief with a key learns nothing from where it is refused: the same 401 as a bad key.
    case 'unauthenticated':
    case 'ip_not_allowed':
      return Errors.unauthenticated();
    case 'rate_limited':
    case 'address_refused':
      return Errors.rateLimited(retryAfterSeconds);
    case 'body_malformed':
      return Errors.invalidJson();
    case 'body_too_large':
      return Errors.payloadTooLarge(BODY_LIMIT_BYTES);
    case 'body_not_json':
      return Errors.unsupportedMediaType();
    case 'body_length_mismatch':
      return Errors.contentLengthMismatch();
    case 'body_incomplete':
      return Errors.bodyIncomplete();
    case 'request_timeout':
      return Errors.requestTimeout();
    case 'resource_denied':
      return deniedError(family);
    case 'insufficient_scope':
      return Errors.insufficientScope();
    case 'confirmation_required':
      return confirmationRequired(action ?? 'start');
    case 'provider_failed':
      return Errors.providerError();
    case 'store_unavailable':
      return Errors.serviceUnavailable();
    case 'internal':
      return Errors.internal();
    case 'action_not_found':
      return actionNotFound();
    case 'invalid_limit':
      return invalidLimit();
    case 'invalid_cursor':
      return invalidCursor();
    case 'state_unreadable':
      return stateUnreadable();
    case 'idempotency_key_malformed':
      return Errors.invalidIdempotencyKey(IdempotencyKeyProblems.shape);
    case 'idempotency_key_in_use':
      return Errors.idempotencyKeyInUse();
    case 'idempotency_key_reused':
      return Errors.idempotencyKeyReused();
    case 'idempotency_outcome_unknown':
      return Errors.idempotencyOutcomeUnknown();
  }
};

/** The success body of the reference, field order included. */
export const successBody = (
  family: PowerFamily,
  action: PowerAction,
  id: string,
): Readonly<Record<string, string | boolean>> => ({
  success: true,
  action,
  [family.idField]: id,
  status: 'requested',
  message: successMessage(action),
});

/**
 * `successBody` as JSON text, for one family and action: the fixed parts are serialised once, only
 * the id per request. `JSON.stringify` of the whole body gives the same bytes.
 */
export const successJson = (family: PowerFamily, action: PowerAction): ((id: string) => string) => {
  const [head, tail] = JSON.stringify(successBody(family, action, '\u0000')).split('"\\u0000"');
  return (id) => `${head ?? ''}${JSON.stringify(id)}${tail ?? ''}`;
};
