import type { PowerAction, ResourceType } from '../../domain/power.js';
import type { AuditEntry, AuditQuery, AuditRecord, AuditStore } from '../store.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { num, numOrNull, str, strOrNull } from './rows.js';

export const INSERT_AUDIT_SQL = `INSERT INTO audit_log (at, request_id, key_id, customer_id,
  resource_type, resource_id, action, status, error, client_ip, provider, upstream_status,
  upstream_detail, task_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

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
    if (entries.length > 0) await this.db.runBatch(INSERT_AUDIT_SQL, entries.map(auditParams));
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
