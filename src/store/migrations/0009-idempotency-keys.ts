import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. One row per `Idempotency-Key` of an API key within its window: claimed
 * (`pending`) by the one request whose insert won, before the back-end is called, and completed
 * (`done`, with the reply's status, error code, body and `Location`) in the same commit as that
 * request's audit row and action row. `lease_until` is when a pending claim stops being "in
 * progress" (the request must have ended without a record); completion sets it to 0. A row
 * counts until both `expires_at` and `lease_until` have passed, and is pruned after.
 *
 * `audit_log.replay_of`: the request id of the first request, on the rows of replays.
 */
export const up = (capabilities: SqlCapabilities): readonly string[] => [
  `CREATE TABLE idempotency_keys (
    key_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    request_id TEXT NOT NULL,
    state TEXT NOT NULL,
    status INTEGER,
    error TEXT,
    body TEXT,
    location TEXT,
    created_at ${capabilities.bigint} NOT NULL,
    expires_at ${capabilities.bigint} NOT NULL,
    lease_until ${capabilities.bigint} NOT NULL,
    PRIMARY KEY (key_id, idem_key)
  )`,
  'CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)',
  'ALTER TABLE audit_log ADD COLUMN replay_of TEXT',
];
