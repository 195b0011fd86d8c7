import type { PowerAction, ResourceType } from '../../domain/power.js';
import type { AuditEntry, AuditQuery, AuditRecord, AuditStore } from '../store.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { num, numOrNull, str, strOrNull } from './rows.js';

const AUDIT_COLUMNS = [
  'at',
  'request_id',
  'key_id',
  'customer_id',
  'resource_type',
  'resource_id',
  'action',
  'status',
  'error',
  'client_ip',
  'provider',
  'upstream_status',
  'upstream_detail',
  'task_ref',
] as const;

/** Rows per INSERT: 500 × 14 parameters stays far below both SQLite's and PostgreSQL's limits. */
const ROWS_PER_STATEMENT = 500;
const ROW_PLACEHOLDERS = `(${AUDIT_COLUMNS.map(() => '?').join(', ')})`;

/** One multi-row INSERT (portable SQL): a batch is one statement, one round trip on PostgreSQL. */
export const insertAuditSql = (rows: number): string =>
  `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES ${Array.from(
    { length: rows },
    () => ROW_PLACEHOLDERS,
  ).join(', ')}`;

const INSERT_ONE = insertAuditSql(1);

export const auditParams = (e: AuditEntry): SqlValue[] => [
  e.at,
  e.requestId,
  e.keyId,
  e.customerId,
  e.resourceType,
  e.resourceId,
  e.action,
  e.status,
  e.error,
  e.clientIp,
  e.provider,
  e.upstreamStatus,
  e.upstreamDetail,
  e.taskRef,
];

const toRecord = (row: SqlRow): AuditRecord => ({
  id: num(row.id),
  at: num(row.at),
  requestId: str(row.request_id),
  keyId: str(row.key_id),
  customerId: str(row.customer_id),
  resourceType: str(row.resource_type) as ResourceType,
  resourceId: str(row.resource_id),
  action: str(row.action) as PowerAction,
  status: num(row.status),
  error: strOrNull(row.error),
  clientIp: strOrNull(row.client_ip),
  provider: strOrNull(row.provider),
  upstreamStatus: numOrNull(row.upstream_status),
  upstreamDetail: strOrNull(row.upstream_detail),
  taskRef: strOrNull(row.task_ref),
});

export class SqlAuditStore implements AuditStore {
  constructor(private readonly db: SqlExecutor) {}

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.db.capabilities.batchInsert === 'per-row') {
      await this.db.runBatch(INSERT_ONE, entries.map(auditParams));
      return;
    }
    if (entries.length <= ROWS_PER_STATEMENT) {
      // A single statement is atomic on its own: no BEGIN/COMMIT round trips.
      await this.db.run(insertAuditSql(entries.length), entries.flatMap(auditParams));
      return;
    }
    await this.db.transaction(async (tx) => {
      for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
        const chunk = entries.slice(start, start + ROWS_PER_STATEMENT);
        await tx.run(insertAuditSql(chunk.length), chunk.flatMap(auditParams));
      }
    });
  }

  async list(query: AuditQuery): Promise<readonly AuditRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.keyId !== undefined) {
      where.push('key_id = ?');
      params.push(query.keyId);
    }
    if (query.customerId !== undefined) {
      where.push('customer_id = ?');
      params.push(query.customerId);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    params.push(query.limit);
    const rows = await this.db.all(
      `SELECT * FROM audit_log ${clause} ORDER BY id DESC LIMIT ?`,
      params,
    );
    return rows.map(toRecord);
  }
}
