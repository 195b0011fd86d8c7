/**
 * A refusal of an operator command (unknown provider, duplicate id, bad duration...), with a
 * one-line message that says what to fix. Nothing has been changed when it is thrown.
 */
export class AdminError extends Error {
  override readonly name = 'AdminError';
}
