import type {
  AuditEntry,
  ClaimOutcome,
  IdempotencyClaim,
  IdempotencyRecord,
  IdempotencyStore,
} from '../store.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { num, str, strOrNull } from './rows.js';

const CLAIM = `INSERT INTO idempotency_keys (key_id, idem_key, fingerprint, request_id, state, created_at, expires_at, lease_until) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (key_id, idem_key) DO NOTHING`;

/** A key whose window and lease have both passed counts no more: the first to update wins it. */
const RECLAIM = `UPDATE idempotency_keys SET fingerprint = ?, request_id = ?, state = 'pending', status = NULL, error = NULL, body = NULL, location = NULL, created_at = ?, expires_at = ?, lease_until = ? WHERE key_id = ? AND idem_key = ? AND expires_at <= ? AND lease_until <= ?`;

const FIND =
  'SELECT fingerprint, request_id, state, status, error, body, location, expires_at, lease_until FROM idempotency_keys WHERE key_id = ? AND idem_key = ?';

const PRUNE = `DELETE FROM idempotency_keys WHERE expires_at < ? AND lease_until < ? AND (key_id, idem_key) IN (SELECT key_id, idem_key FROM idempotency_keys WHERE expires_at < ? AND lease_until < ? ORDER BY expires_at LIMIT ?)`;

/**
 * The completion of a claim, written in the audit batch's transaction. Only the claim's own
 * request completes it (a key claimed afresh after its window belongs to another).
 */
export const COMPLETE_IDEMPOTENCY_ROW = `UPDATE idempotency_keys SET state = 'done', status = ?, error = ?, body = ?, location = ?, lease_until = 0 WHERE key_id = ? AND idem_key = ? AND request_id = ? AND state = 'pending'`;

/** The same for a batch as one statement over column arrays, for a PostgreSQL CTE. */
export const COMPLETE_IDEMPOTENCY_COLUMNS = `UPDATE idempotency_keys AS k SET state = 'done', status = o.status, error = o.error, body = o.body, location = o.location, lease_until = 0 FROM unnest(?::integer[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) AS o(status, error, body, location, key_id, idem_key, request_id) WHERE k.key_id = o.key_id AND k.idem_key = o.idem_key AND k.request_id = o.request_id AND k.state = 'pending'`;

/** The completion rows of the entries that carry a claimed key's reply. */
export const completionRowsOf = (entries: readonly AuditEntry[]): SqlValue[][] => {
  const rows: SqlValue[][] = [];
  for (const e of entries) {
    const claimed = e.idempotency;
    if (claimed === undefined || claimed === null) continue;
    const { reply } = claimed;
    rows.push([
      reply.status,
      reply.error,
      reply.body,
      reply.location,
      e.keyId,
      claimed.key,
      e.requestId,
    ]);
  }
  return rows;
};

/** Completion rows as one array per column. */
export const completionColumns = (rows: readonly (readonly SqlValue[])[]): SqlValue[][] =>
  [0, 1, 2, 3, 4, 5, 6].map((column) => rows.map((row) => row[column] ?? null));

const toRecord = (row: SqlRow): IdempotencyRecord => {
  const done = str(row.state) === 'done';
  return {
    fingerprint: str(row.fingerprint),
    requestId: str(row.request_id),
    state: done ? 'done' : 'pending',
    reply: done
      ? {
          status: num(row.status),
          error: strOrNull(row.error),
          body: str(row.body),
          location: strOrNull(row.location),
        }
      : null,
    expiresAt: num(row.expires_at),
    leaseUntil: num(row.lease_until),
  };
};

/** How often a claim tries again when the row it lost to was pruned meanwhile. */
const CLAIM_ATTEMPTS = 3;

export class SqlIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: SqlExecutor) {}

  async claim(c: IdempotencyClaim): Promise<ClaimOutcome> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const inserted = await this.db.run(CLAIM, [
        c.keyId,
        c.key,
        c.fingerprint,
        c.requestId,
        c.now,
        c.expiresAt,
        c.leaseUntil,
      ]);
      if (inserted === 1) return { claimed: true };
      const row = await this.db.get(FIND, [c.keyId, c.key]);
      if (row === undefined) continue;
      const record = toRecord(row);
      if (record.expiresAt > c.now || record.leaseUntil > c.now) return { claimed: false, record };
      const reclaimed = await this.db.run(RECLAIM, [
        c.fingerprint,
        c.requestId,
        c.now,
        c.expiresAt,
        c.leaseUntil,
        c.keyId,
        c.key,
        c.now,
        c.now,
      ]);
      if (reclaimed === 1) return { claimed: true };
    }
    // Lost every race to requests of the same key: what they left is what there is.
    const row = await this.db.get(FIND, [c.keyId, c.key]);
    if (row === undefined) throw new Error('idempotency key neither claimed nor found');
    return { claimed: false, record: toRecord(row) };
  }

  prune(before: number, limit: number): Promise<number> {
    return this.db.run(PRUNE, [before, before, before, before, limit]);
  }
}
