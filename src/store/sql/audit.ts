import type { PowerAction, ResourceType } from '../../domain/power.js';
import { batchTime } from '../audit-batch.js';
import {
  actionColumns,
  actionParams,
  INSERT_ACTION_COLUMNS,
  INSERT_ACTION_ROW,
} from './actions.js';
import {
  COMPLETE_IDEMPOTENCY_COLUMNS,
  COMPLETE_IDEMPOTENCY_ROW,
  completionColumns,
  completionRowsOf,
} from './idempotency.js';
import type {
  AuditEntry,
  AuditFilter,
  AuditOutcome,
  AuditQuery,
  AuditRecord,
  AuditStore,
  LogPage,
  PruneBatch,
} from '../store.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { type Conditions, iteratePages, readPage, timeRange } from './log-pages.js';
import { num, numOrNull, str, strOrNull } from './rows.js';
import {
  ENQUEUE_FOR_CUSTOMER,
  QUEUE_REQUESTED_COLUMNS,
  requestedEventColumns,
  requestedEventRows,
} from './webhooks.js';

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
  'replay_of',
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
  replay_of: 'text',
};

/** One row's INSERT (SQLite steps it per row, in one transaction). */
export const INSERT_AUDIT_ROW = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`;

/**
 * A whole batch as one statement with one array per column (PostgreSQL): one round trip, and the
 * same text for every batch size.
 */
const INSERT_AUDIT_COLUMNS = `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) SELECT * FROM unnest(${AUDIT_COLUMNS.map((column) => `?::${AUDIT_COLUMN_TYPES[column]}[]`).join(', ')})`;

/**
 * PostgreSQL appends a batch together with its fence row (`0003-audit-fences`), and an instance
 * that gave a batch up inserts the same row: whichever comes second does not commit. Fences older
 * than an hour are pruned by the append that follows; a statement held up in the network for
 * longer than that is long given up on by TCP.
 */
const FENCE_ROW = 'INSERT INTO audit_fences (batch) VALUES (?)';
/** With the batch's action rows (`0005-actions`), in the same statement and so the same commit. */
const WITH_ACTIONS = `acted AS (${INSERT_ACTION_COLUMNS})`;
/**
 * A batch with requests that claimed an `Idempotency-Key` also completes their claims, in the
 * same statement: a reply that was sent can always be replayed. And, where a customer of the batch
 * has webhook endpoints, the requested events are queued for them (`0010-webhooks`), the same
 * statement again. Batches with neither run the statement they always ran.
 */
const appendStatements = (completing: boolean, queued: boolean) => {
  const withActions = completing
    ? `completed AS (${COMPLETE_IDEMPOTENCY_COLUMNS}), ${WITH_ACTIONS}`
    : WITH_ACTIONS;
  const ctes = queued ? `${withActions}, ${QUEUE_REQUESTED_COLUMNS}` : withActions;
  return {
    plain: `WITH ${ctes} ${INSERT_AUDIT_COLUMNS}`,
    fenced: `WITH fence AS (${FENCE_ROW}), ${ctes} ${INSERT_AUDIT_COLUMNS}`,
    fencedPruning: `WITH pruned AS (DELETE FROM audit_fences WHERE batch < ?), fence AS (${FENCE_ROW}), ${ctes} ${INSERT_AUDIT_COLUMNS}`,
  };
};
/** By whether the batch completes claims, then by whether it queues events. */
const APPEND = {
  plain: appendStatements(false, false),
  queueing: appendStatements(false, true),
  completing: appendStatements(true, false),
  completingQueueing: appendStatements(true, true),
};
const FENCE_BATCHES =
  'INSERT INTO audit_fences (batch) SELECT unnest(?::text[]) ON CONFLICT (batch) DO NOTHING';
const FENCE_LIFETIME_MS = 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 1000;

/**
 * How far back an amendment looks, in rows: the rows it corrects were written moments before.
 * Each row is found through the `request_id` index; the id range keeps an amendment from ever
 * touching an old record that happens to share a request id, key and time.
 */
const AMEND_WINDOW_ROWS = 100_000;

const RECENT_ROWS = `id > (SELECT COALESCE(MAX(id), 0) FROM audit_log) - ${AMEND_WINDOW_ROWS}`;

export const AMEND_AUDIT_ROW = `UPDATE audit_log SET status = ?, error = ? WHERE ${RECENT_ROWS} AND request_id = ? AND key_id = ? AND at = ? AND status = 200`;

export const AMEND_AUDIT_COLUMNS = `UPDATE audit_log SET status = ?, error = ? FROM unnest(?::text[], ?::text[], ?::bigint[]) AS amended(request_id, key_id, at) WHERE audit_log.${RECENT_ROWS} AND audit_log.request_id = amended.request_id AND audit_log.key_id = amended.key_id AND audit_log.at = amended.at AND audit_log.status = 200`;

/** The action rows of the entries that started an action. */
export const actionRowsOf = (entries: readonly AuditEntry[]): SqlValue[][] => {
  const rows: SqlValue[][] = [];
  for (const entry of entries) {
    const row = actionParams(entry);
    if (row !== null) rows.push(row);
  }
  return rows;
};

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
  e.replayOf ?? null,
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
  replayOf: strOrNull(row.replay_of),
});

/** Thrown inside the probe's transaction so that it rolls back. */
class ProbeRollback extends Error {
  override readonly name = 'ProbeRollback';
}

const PROBE_ROW: readonly SqlValue[] = [
  0,
  'readiness-probe',
  'readiness-probe',
  'readiness-probe',
  'vps',
  'readiness-probe',
  'start',
  0,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
];

export const PRUNE_AUDIT_ROWS =
  'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at, id LIMIT ?)';

export class SqlAuditStore implements AuditStore {
  #prunedAt = 0;

  constructor(private readonly db: SqlExecutor) {}

  async append(
    entries: readonly AuditEntry[],
    signal?: AbortSignal,
    batch?: string,
  ): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(auditParams);
    const actions = actionRowsOf(entries);
    const completions = completionRowsOf(entries);
    if (this.db.capabilities.batchInsert === 'per-row') {
      // SQLite: a statement never outlives the decision to give it up, so no fence is needed.
      if (actions.length === 0 && completions.length === 0) {
        await this.db.runBatch(INSERT_AUDIT_ROW, rows);
      } else {
        const events = requestedEventRows(entries);
        await this.db.runBatches([
          { sql: INSERT_AUDIT_ROW, rows },
          { sql: INSERT_ACTION_ROW, rows: actions },
          { sql: COMPLETE_IDEMPOTENCY_ROW, rows: completions },
          ...(events.length === 0 ? [] : [{ sql: ENQUEUE_FOR_CUSTOMER, rows: events }]),
        ]);
      }
      return;
    }
    const events = requestedEventColumns(entries);
    const statements =
      completions.length === 0
        ? events === null
          ? APPEND.plain
          : APPEND.queueing
        : events === null
          ? APPEND.completing
          : APPEND.completingQueueing;
    const columns = [
      ...(completions.length === 0 ? [] : completionColumns(completions)),
      ...actionColumns(actions),
      ...(events ?? []),
      ...AUDIT_COLUMNS.map((_, column) => rows.map((row) => row[column] ?? null)),
    ];
    // A single statement is atomic on its own: no BEGIN/COMMIT round trips.
    if (batch === undefined) {
      await this.db.run(statements.plain, columns, signal);
      return;
    }
    const now = Date.now();
    if (now - this.#prunedAt < PRUNE_EVERY_MS) {
      await this.db.run(statements.fenced, [batch, ...columns], signal);
      return;
    }
    this.#prunedAt = now;
    await this.db.run(
      statements.fencedPruning,
      [batchTime(now - FENCE_LIFETIME_MS), batch, ...columns],
      signal,
    );
  }

  async amend(
    entries: readonly AuditEntry[],
    outcome: AuditOutcome,
    signal?: AbortSignal,
    batches: readonly string[] = [],
  ): Promise<number> {
    if (batches.length > 0 && this.db.capabilities.batchInsert === 'column-arrays') {
      // Once this commits, none of these batches can commit any more.
      await this.db.run(FENCE_BATCHES, [[...batches]], signal);
    }
    if (entries.length === 0) return 0;
    if (this.db.capabilities.batchInsert === 'per-row') {
      let changed = 0;
      for (const e of entries) {
        changed += await this.db.run(AMEND_AUDIT_ROW, [
          outcome.status,
          outcome.error,
          e.requestId,
          e.keyId,
          e.at,
        ]);
      }
      return changed;
    }
    return this.db.run(
      AMEND_AUDIT_COLUMNS,
      [
        outcome.status,
        outcome.error,
        entries.map((e) => e.requestId),
        entries.map((e) => e.keyId),
        entries.map((e) => e.at),
      ],
      signal,
    );
  }

  async probe(): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await tx.run(INSERT_AUDIT_ROW, PROBE_ROW);
        throw new ProbeRollback('rolled back');
      });
    } catch (error) {
      if (!(error instanceof ProbeRollback)) throw error;
    }
  }

  async list(query: AuditQuery): Promise<readonly AuditRecord[]> {
    return (await this.page(query)).rows;
  }

  page(query: AuditQuery): Promise<LogPage<AuditRecord>> {
    return readPage(this.db, 'audit', 'audit_log', auditConditions(query), query, toRecord);
  }

  iterate(filter: AuditFilter, pageSize?: number): AsyncIterable<AuditRecord> {
    return iteratePages((page) => this.page({ ...filter, ...page }), pageSize);
  }

  async prune(before: number, limit: number): Promise<PruneBatch> {
    const lock = this.db.capabilities.tryTransactionLockQuery;
    return this.db.transaction(async (tx) => {
      if (lock !== null) {
        const row = await tx.get(lock, ['audit prune']);
        if (row?.locked !== true) return { deleted: 0, acquired: false };
      }
      // The oldest first, through the (at, id) index: a batch is a short transaction.
      const deleted = await tx.run(PRUNE_AUDIT_ROWS, [before, limit]);
      return { deleted, acquired: true };
    });
  }
}

/** The filter as conditions that each have an index (migration 0003). */
export const auditConditions = (filter: AuditFilter): Conditions => {
  const conditions: Conditions = { where: [], params: [] };
  const equal = (column: string, value: SqlValue | undefined) => {
    if (value === undefined) return;
    conditions.where.push(`${column} = ?`);
    conditions.params.push(value);
  };
  equal('key_id', filter.keyId);
  equal('customer_id', filter.customerId);
  equal('resource_type', filter.resource?.type);
  equal('resource_id', filter.resource?.id);
  equal('action', filter.action);
  equal('status', filter.status);
  equal('request_id', filter.requestId);
  timeRange(conditions, filter);
  return conditions;
};
