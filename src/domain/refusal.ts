/**
 * Why a power request is not carried out, as the rules see it: a value with a stable code, never
 * an exception and never an HTTP error. One table in `http/` turns each code into the published
 * status, error code and message.
 */
export type RefusalCode =
  /** No key, another scheme, a malformed, unknown, revoked or expired key. */
  | 'unauthenticated'
  /** A good key used from an address outside its allowlist: answered as a bad key. */
  | 'ip_not_allowed'
  /** The key used up its requests of the current window. */
  | 'rate_limited'
  /** The client's address used up its budget of failed authentications. */
  | 'address_refused'
  /** The body is not JSON (or poisons prototypes). */
  | 'body_malformed'
  /** The body is larger than the limit. */
  | 'body_too_large'
  /** The body is not labelled as JSON, or is encoded (`Content-Encoding`). */
  | 'body_not_json'
  /** The body's length is not what `Content-Length` said. */
  | 'body_length_mismatch'
  /** The client stopped sending its body. */
  | 'body_incomplete'
  /** The client did not finish sending its request in time. */
  | 'request_timeout'
  /** The machine is unknown, another customer's, or outside the key's list: one refusal. */
  | 'resource_denied'
  /** A read key asked for a power action. */
  | 'insufficient_scope'
  /** A destructive action without `force=true`. */
  | 'confirmation_required'
  /** The back-end did not accept the action. */
  | 'provider_failed'
  /** The store could not be reached within its deadline. */
  | 'store_unavailable'
  /** A fault of ours. */
  | 'internal'
  /** A read of an action the machine does not have (or had before its current customer). */
  | 'action_not_found'
  /** A page size that is not a whole number from 1 to 100. */
  | 'invalid_limit'
  /** A cursor this API did not give out. */
  | 'invalid_cursor'
  /** The back-end could not tell the machine's state. */
  | 'state_unreadable'
  /** An `Idempotency-Key` header that is not a well-formed key. */
  | 'idempotency_key_malformed'
  /** The first request with the key is still running. */
  | 'idempotency_key_in_use'
  /** The key was used for a different request. */
  | 'idempotency_key_reused'
  /** The first request with the key ended without a recorded outcome. */
  | 'idempotency_outcome_unknown';

export interface Refusal {
  readonly code: RefusalCode;
}

const refusal = (code: RefusalCode): Refusal => Object.freeze({ code });

/** Every refusal, built once: they are the hot path of brute force and of clients over a limit. */
export const Refusals: { readonly [code in RefusalCode]: Refusal } = Object.freeze({
  unauthenticated: refusal('unauthenticated'),
  ip_not_allowed: refusal('ip_not_allowed'),
  rate_limited: refusal('rate_limited'),
  address_refused: refusal('address_refused'),
  body_malformed: refusal('body_malformed'),
  body_too_large: refusal('body_too_large'),
  body_not_json: refusal('body_not_json'),
  body_length_mismatch: refusal('body_length_mismatch'),
  body_incomplete: refusal('body_incomplete'),
  request_timeout: refusal('request_timeout'),
  resource_denied: refusal('resource_denied'),
  insufficient_scope: refusal('insufficient_scope'),
  confirmation_required: refusal('confirmation_required'),
  provider_failed: refusal('provider_failed'),
  store_unavailable: refusal('store_unavailable'),
  internal: refusal('internal'),
  action_not_found: refusal('action_not_found'),
  invalid_limit: refusal('invalid_limit'),
  invalid_cursor: refusal('invalid_cursor'),
  state_unreadable: refusal('state_unreadable'),
  idempotency_key_malformed: refusal('idempotency_key_malformed'),
  idempotency_key_in_use: refusal('idempotency_key_in_use'),
  idempotency_key_reused: refusal('idempotency_key_reused'),
  idempotency_outcome_unknown: refusal('idempotency_outcome_unknown'),
});
