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

/** The database type of each column, for the column arrays of PostgreSQL's batch insert. */
const AUDIT_COLUMN_TYPES: Readonly<Record<(typeof AUDIT_COLUMNS)[number], string>> = {
  at: 'bigint',
  request_id: 'text',
  key_id: 'text',
  customer_id: 'text',
  resource_type: 'text',
  resource_id: 'text',
  action: 'text',
  status: 'integer',
  error: 'text',
  client_ip: 'text',
  provider: 'text',
  upstream_status: 'integer',
  upstream_detail: 'text',
  task_ref: 'text',
};

/** One row's INSERT (SQLite steps it per row, in one transaction). */
export const INSERT_AUDIT_ROW = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`;

/**
 * A whole batch as one statement with one array per column (PostgreSQL): one round trip, and the
 * same text for every batch size.
 */
const INSERT_AUDIT_COLUMNS = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) SELECT * FROM unnest(${AUDIT_COLUMNS.map((column) => `?::${AUDIT_COLUMN_TYPES[column]}[]`).join(', ')})`;

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

  async append(entries: readonly AuditEntry[], signal?: AbortSignal): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(auditParams);
    if (this.db.capabilities.batchInsert === 'per-row') {
      await this.db.runBatch(INSERT_AUDIT_ROW, rows);
      return;
    }
    // A single statement is atomic on its own: no BEGIN/COMMIT round trips.
    await this.db.run(
      INSERT_AUDIT_COLUMNS,
      AUDIT_COLUMNS.map((_, column) => rows.map((row) => row[column] ?? null)),
      signal,
    );
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
