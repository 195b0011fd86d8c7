import type { KeyScope } from '../../domain/access.js';
import type { ResourceType } from '../../domain/power.js';
import type {
  Actor,
  ApiKeyRecord,
  KeyStore,
  NewApiKey,
  ResourceRef,
  StoredApiKey,
} from '../store.js';
import type { MaybePromise } from '../../lib/maybe-async.js';
import type { ChangeSignal } from './change-signal.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { recordOperatorEvent } from './operator-log.js';
import { num, numOrNull, str, strOrNull } from './rows.js';

// Never `SELECT *` into listings: the digest stays inside the store and the authenticator.
const PUBLIC_COLUMNS =
  'id, customer_id, name, scope, all_resources, allowed_ips, display_prefix, created_at, expires_at, revoked_at, last_used_at';

/**
 * Built once: every never-seen key runs this lookup, and the executors find their prepared
 * statement by the text, which a string built per call would make them hash again each time.
 */
const FIND_BY_HASH = `SELECT ${PUBLIC_COLUMNS}, key_hash FROM api_keys WHERE key_hash = ?`;
const ALL_HASHES = 'SELECT key_hash FROM api_keys LIMIT ?';

const toKey = (row: SqlRow, resources: readonly ResourceRef[] | null): ApiKeyRecord => ({
  id: str(row.id),
  customerId: str(row.customer_id),
  name: strOrNull(row.name),
  scope: str(row.scope) as KeyScope,
  resources,
  allowedIps: allowedIpsOf(row.allowed_ips),
  displayPrefix: str(row.display_prefix),
  createdAt: num(row.created_at),
  expiresAt: numOrNull(row.expires_at),
  revokedAt: numOrNull(row.revoked_at),
  lastUsedAt: numOrNull(row.last_used_at),
});

const allowedIpsOf = (value: SqlRow[string]): readonly string[] | null => {
  const text = strOrNull(value);
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.map(String) : null;
};

const toRef = (row: SqlRow): ResourceRef => ({
  type: str(row.resource_type) as ResourceType,
  id: str(row.resource_id),
});

export class SqlKeyStore implements KeyStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly signal: ChangeSignal,
  ) {}

  create(key: NewApiKey, actor: Actor): Promise<void> {
    return this.db.transaction(async (tx) => {
      await this.#insert(tx, key, actor);
      await this.signal(tx);
    });
  }

  rotate(
    id: string,
    replacement: NewApiKey,
    expiresAt: number,
    now: number,
    actor: Actor,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Only an active key is rotated; of two concurrent rotations, the first one wins.
      const changed = await tx.run(
        `UPDATE api_keys SET expires_at = CASE
           WHEN expires_at IS NOT NULL AND expires_at < ? THEN expires_at ELSE ? END
         WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
           AND NOT EXISTS (SELECT 1 FROM operator_log WHERE event = 'key.rotate' AND subject = ?)`,
        [expiresAt, expiresAt, id, now, id],
      );
      if (changed === 0) return false;
      await this.#insert(tx, replacement, actor);
      await recordOperatorEvent(
        tx,
        actor,
        'key.rotate',
        id,
        { replaced_by: replacement.id, expires_at: expiresAt },
        now,
      );
      await this.signal(tx);
      return true;
    });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.get(`SELECT ${PUBLIC_COLUMNS} FROM api_keys WHERE id = ?`, [id]);
    return row && toKey(row, await this.resourcesOf(row));
  }

  findByHash(hash: string): MaybePromise<StoredApiKey | undefined> {
    if (this.db.getNow === undefined) {
      return this.db.get(FIND_BY_HASH, [hash]).then((row) => row && this.#stored(row));
    }
    const row = this.db.getNow(FIND_BY_HASH, [hash]);
    return row && this.#stored(row);
  }

  async allHashes(limit: number): Promise<readonly string[] | null> {
    const rows = await this.db.all(ALL_HASHES, [limit + 1]);
    return rows.length > limit ? null : rows.map((row) => str(row.key_hash));
  }

  async #stored(row: SqlRow): Promise<StoredApiKey> {
    return { ...toKey(row, await this.resourcesOf(row)), hash: str(row.key_hash) };
  }

  async list(filter: { readonly customerId?: string } = {}): Promise<readonly ApiKeyRecord[]> {
    const where = filter.customerId === undefined ? '' : 'WHERE k.customer_id = ?';
    const params: SqlValue[] = filter.customerId === undefined ? [] : [filter.customerId];
    const rows = await this.db.all(
      `SELECT ${PUBLIC_COLUMNS} FROM api_keys k ${where} ORDER BY created_at, id`,
      params,
    );
    const refs = await this.db.all(
      `SELECT r.key_id, r.resource_type, r.resource_id FROM api_key_resources r
       JOIN api_keys k ON k.id = r.key_id ${where} ORDER BY r.resource_type, r.resource_id`,
      params,
    );
    const byKey = new Map<string, ResourceRef[]>();
    for (const ref of refs) {
      const keyId = str(ref.key_id);
      const list = byKey.get(keyId) ?? [];
      list.push(toRef(ref));
      byKey.set(keyId, list);
    }
    return rows.map((row) =>
      toKey(row, num(row.all_resources) === 1 ? null : (byKey.get(str(row.id)) ?? [])),
    );
  }

  revoke(id: string, at: number, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Conditional update: of two concurrent revocations (two operators, two processes), only
      // the first changes the row, so the first revocation time is the one kept.
      const changed = await tx.run(
        'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
        [at, id],
      );
      if (changed === 0) {
        return (await tx.get('SELECT 1 AS found FROM api_keys WHERE id = ?', [id])) !== undefined;
      }
      await recordOperatorEvent(tx, actor, 'key.revoke', id, null, at);
      await this.signal(tx);
      return true;
    });
  }

  async touch(lastUsed: ReadonlyMap<string, number>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.db.runBatch(
      `UPDATE api_keys SET last_used_at = ?
       WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
      [...lastUsed].map(([id, at]) => [at, id, at]),
    );
  }

  async #insert(tx: SqlExecutor, key: NewApiKey, actor: Actor): Promise<void> {
    await tx.run(
      `INSERT INTO api_keys (id, customer_id, name, scope, all_resources, allowed_ips, key_hash,
         display_prefix, created_at, expires_at, revoked_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
      [
        key.id,
        key.customerId,
        key.name,
        key.scope,
        key.resources === null ? 1 : 0,
        key.allowedIps === null ? null : JSON.stringify(key.allowedIps),
        key.hash,
        key.displayPrefix,
        key.createdAt,
        key.expiresAt,
      ],
    );
    if (key.resources !== null && key.resources.length > 0) {
      await tx.runBatch(
        'INSERT INTO api_key_resources (key_id, resource_type, resource_id) VALUES (?, ?, ?)',
        key.resources.map((ref) => [key.id, ref.type, ref.id]),
      );
    }
    await recordOperatorEvent(
      tx,
      actor,
      'key.create',
      key.id,
      {
        customer: key.customerId,
        scope: key.scope,
        resources: key.resources === null ? 'all' : key.resources.map((r) => `${r.type}:${r.id}`),
        allowed_ips: key.allowedIps === null ? 'any' : [...key.allowedIps],
        expires_at: key.expiresAt,
      },
      key.createdAt,
    );
  }

  private async resourcesOf(row: SqlRow): Promise<readonly ResourceRef[] | null> {
    if (num(row.all_resources) === 1) return null;
    const refs = await this.db.all(
      `SELECT resource_type, resource_id FROM api_key_resources WHERE key_id = ?
       ORDER BY resource_type, resource_id`,
      [str(row.id)],
    );
    return refs.map(toRef);
  }
}
