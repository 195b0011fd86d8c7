import type { ResourceType } from '../../domain/power.js';
import type {
  Actor,
  JsonObject,
  ResourceChange,
  ResourceOutcome,
  ResourceRecord,
  ResourceStore,
} from '../store.js';
import type { ChangeSignal } from './change-signal.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { recordOperatorEvent } from './operator-log.js';
import { num, str } from './rows.js';

const toResource = (row: SqlRow): ResourceRecord => ({
  type: str(row.type) as ResourceType,
  id: str(row.id),
  customerId: str(row.customer_id),
  provider: str(row.provider),
  ref: str(row.ref),
  createdAt: num(row.created_at),
  assignedAt: num(row.assigned_at),
});

/** `from` → `to` of each field that changed, for the operator log. */
const changes = (before: ResourceRecord, after: ResourceRecord): JsonObject => {
  const detail: Record<string, JsonObject> = {};
  if (before.customerId !== after.customerId)
    detail.customer = { from: before.customerId, to: after.customerId };
  if (before.provider !== after.provider)
    detail.provider = { from: before.provider, to: after.provider };
  if (before.ref !== after.ref) detail.ref = { from: before.ref, to: after.ref };
  return detail;
};

export class SqlResourceStore implements ResourceStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly signal: ChangeSignal,
  ) {}

  add(record: ResourceRecord, actor: Actor): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO resources (type, id, customer_id, provider, ref, created_at, assigned_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          record.type,
          record.id,
          record.customerId,
          record.provider,
          record.ref,
          record.createdAt,
          record.assignedAt,
        ],
      );
      await recordOperatorEvent(
        tx,
        actor,
        `${record.type}.add`,
        record.id,
        { customer: record.customerId, provider: record.provider, ref: record.ref },
        record.createdAt,
      );
      await this.signal(tx);
    });
  }

  async get(type: ResourceType, id: string): Promise<ResourceRecord | undefined> {
    const row = await this.db.get('SELECT * FROM resources WHERE type = ? AND id = ?', [type, id]);
    return row && toResource(row);
  }

  async list(
    filter: { readonly customerId?: string; readonly type?: ResourceType } = {},
  ): Promise<readonly ResourceRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.customerId !== undefined) {
      where.push('customer_id = ?');
      params.push(filter.customerId);
    }
    if (filter.type !== undefined) {
      where.push('type = ?');
      params.push(filter.type);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.db.all(`SELECT * FROM resources ${clause} ORDER BY type, id`, params);
    return rows.map(toResource);
  }

  async countByProvider(provider: string): Promise<number> {
    const row = await this.db.get('SELECT COUNT(*) AS n FROM resources WHERE provider = ?', [
      provider,
    ]);
    return row ? num(row.n) : 0;
  }

  update(
    expected: ResourceRecord,
    change: ResourceChange,
    at: number,
    actor: Actor,
  ): Promise<ResourceOutcome | 'changed' | undefined> {
    return this.db.transaction(async (tx) => {
      const moved = change.customerId !== undefined && change.customerId !== expected.customerId;
      const after: ResourceRecord = {
        ...expected,
        customerId: change.customerId ?? expected.customerId,
        provider: change.provider ?? expected.provider,
        ref: change.ref ?? expected.ref,
        assignedAt: moved ? at : expected.assignedAt,
      };
      // Only the machine as the operator saw it is changed: of two concurrent moves, one wins.
      const changed = await tx.run(
        `UPDATE resources SET customer_id = ?, provider = ?, ref = ?, assigned_at = ?
         WHERE type = ? AND id = ? AND customer_id = ? AND provider = ? AND ref = ?
           AND assigned_at = ?`,
        [
          after.customerId,
          after.provider,
          after.ref,
          after.assignedAt,
          expected.type,
          expected.id,
          expected.customerId,
          expected.provider,
          expected.ref,
          expected.assignedAt,
        ],
      );
      if (changed === 0) {
        const found = await tx.get('SELECT 1 AS found FROM resources WHERE type = ? AND id = ?', [
          expected.type,
          expected.id,
        ]);
        return found === undefined ? undefined : 'changed';
      }
      const unscopedKeys = moved
        ? await this.#unscope(tx, expected.type, expected.id, after.customerId)
        : [];
      await recordOperatorEvent(
        tx,
        actor,
        `${expected.type}.${moved ? 'move' : 'update'}`,
        expected.id,
        { ...changes(expected, after), unscoped_keys: [...unscopedKeys] },
        at,
      );
      await this.signal(tx);
      return { before: expected, after, unscopedKeys };
    });
  }

  remove(type: ResourceType, id: string, actor: Actor): Promise<ResourceOutcome | undefined> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get('SELECT * FROM resources WHERE type = ? AND id = ?', [type, id]);
      if (row === undefined) return undefined;
      const before = toResource(row);
      const removed = await tx.run('DELETE FROM resources WHERE type = ? AND id = ?', [type, id]);
      if (removed === 0) return undefined;
      const unscopedKeys = await this.#unscope(tx, type, id, null);
      await recordOperatorEvent(tx, actor, `${type}.remove`, id, {
        customer: before.customerId,
        provider: before.provider,
        ref: before.ref,
        unscoped_keys: [...unscopedKeys],
      });
      await this.signal(tx);
      return { before, after: null, unscopedKeys };
    });
  }

  /**
   * Takes the machine out of the machine lists of keys of any customer but `keep` (every key when
   * `null`). The access check compares customers anyway; this keeps a key that named the machine
   * from reaching it again should it ever come back to that customer, and keeps listings true.
   */
  async #unscope(
    tx: SqlExecutor,
    type: ResourceType,
    id: string,
    keep: string | null,
  ): Promise<readonly string[]> {
    const others = keep === null ? '' : 'AND k.customer_id <> ?';
    const params: SqlValue[] = keep === null ? [type, id] : [type, id, keep];
    const rows = await tx.all(
      `SELECT r.key_id FROM api_key_resources r JOIN api_keys k ON k.id = r.key_id
       WHERE r.resource_type = ? AND r.resource_id = ? ${others} ORDER BY r.key_id`,
      params,
    );
    const keys = rows.map((row) => str(row.key_id));
    if (keys.length > 0) {
      await tx.run(
        `DELETE FROM api_key_resources WHERE resource_type = ? AND resource_id = ?
           AND key_id IN (${keys.map(() => '?').join(', ')})`,
        [type, id, ...keys],
      );
    }
    return keys;
  }
}
