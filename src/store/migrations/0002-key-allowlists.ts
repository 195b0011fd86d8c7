import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. A key's allowlist of client addresses: a JSON array of normalised ranges
 * (`192.0.2.0/24`, `2001:db8::1/128`), or `NULL` for anywhere.
 */
export const up = (_capabilities: SqlCapabilities): readonly string[] => [
  'ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT',
];
