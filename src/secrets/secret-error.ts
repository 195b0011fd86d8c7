/**
 * A provider credential cannot be sealed or opened: no key where one is required, a key file that
 * cannot be read, or a credential sealed with another key. The message says what to fix and never
 * contains a key or a credential.
 */
export class SecretError extends Error {
  override readonly name = 'SecretError';
}
