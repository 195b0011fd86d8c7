import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. Tokens of the admin HTTP API: only their SHA-256 digest is kept, with a
 * display prefix to recognise them in listings.
 */
export const up = ({ bigint }: SqlCapabilities): readonly string[] => [
  `CREATE TABLE admin_tokens (
    id TEXT PRIMARY KEY,
    name TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    display_prefix TEXT NOT NULL,
    created_at ${bigint} NOT NULL,
    revoked_at ${bigint}
  )`,
];
