import type { ResourceType } from '../../domain/power.js';
import type { Actor, ResourceRecord, ResourceStore } from '../store.js';
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
});

export class SqlResourceStore implements ResourceStore {
  constructor(
    private readonly db: SqlExecutor,
    private readonly signal: ChangeSignal,
  ) {}

  add(record: ResourceRecord, actor: Actor): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO resources (type, id, customer_id, provider, ref, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [record.type, record.id, record.customerId, record.provider, record.ref, record.createdAt],
      );
      await recordOperatorEvent(tx, actor, `${record.type}.add`, record.id, {
        customer: record.customerId,
        provider: record.provider,
        ref: record.ref,
      });
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
}
