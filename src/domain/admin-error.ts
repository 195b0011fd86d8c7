/**
 * What kind of refusal: `not_found` (no such provider, machine or key), `in_use` (still needed by
 * something else), `conflict` (already exists, or changed meanwhile), `cancelled` (the operator
 * said no), `refused` (anything else: bad input, a rule).
 */
export type AdminErrorCode = 'refused' | 'not_found' | 'in_use' | 'conflict' | 'cancelled';

/**
 * A refusal of an operator command (unknown provider, duplicate id, bad duration...), with a
 * one-line message that says what to fix. Nothing has been changed when it is thrown.
 */
export class AdminError extends Error {
  override readonly name = 'AdminError';

  constructor(
    message: string,
    readonly code: AdminErrorCode = 'refused',
  ) {
    super(message);
  }
}
