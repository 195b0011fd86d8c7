import type { PowerAction, ResourceType } from '../../domain/power.js';
import type {
  ActionClaim,
  ActionPage,
  ActionQuery,
  ActionRecord,
  ActionSettlement,
  ActionStatus,
  ActionStore,
  AuditEntry,
  FollowedAction,
} from '../store.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { num, numOrNull, str, strOrNull } from './rows.js';
import { queueEnded } from './webhooks.js';

const ENDED: ReadonlySet<ActionStatus> = new Set(['succeeded', 'failed', 'timed_out']);

const ACTION_COLUMNS = [
  'id',
  'resource_type',
  'resource_id',
  'customer_id',
  'key_id',
  'action',
  'provider',
  'task_ref',
  'status',
  'error',
  'requested_at',
  'finished_at',
  'next_check_at',
] as const;

const ACTION_COLUMN_TYPES: Readonly<Record<(typeof ACTION_COLUMNS)[number], string>> = {
  id: 'text',
  resource_type: 'text',
  resource_id: 'text',
  customer_id: 'text',
  key_id: 'text',
  action: 'text',
  provider: 'text',
  task_ref: 'text',
  status: 'text',
  error: 'text',
  requested_at: 'bigint',
  finished_at: 'bigint',
  next_check_at: 'bigint',
};

export const INSERT_ACTION_ROW = `INSERT INTO actions (${ACTION_COLUMNS.join(', ')}) VALUES (${ACTION_COLUMNS.map(() => '?').join(', ')})`;

/** The actions of a batch as one `INSERT ... SELECT FROM unnest(...)`, for a PostgreSQL CTE. */
export const INSERT_ACTION_COLUMNS = `INSERT INTO actions (${ACTION_COLUMNS.join(', ')}) SELECT * FROM unnest(${ACTION_COLUMNS.map((column) => `?::${ACTION_COLUMN_TYPES[column]}[]`).join(', ')})`;

/** The action row of an accepted entry, or `null` when the entry started none. */
export const actionParams = (e: AuditEntry): SqlValue[] | null =>
  e.actionId === undefined || e.actionId === null || e.status !== 200
    ? null
    : [
        e.actionId,
        e.resourceType,
        e.resourceId,
        e.customerId,
        e.keyId,
        e.action,
        e.provider,
        e.taskRef,
        'requested',
        null,
        e.at,
        null,
        // Due for its first look at once; the follower waits out its own first delay.
        e.at,
      ];

/** The action rows of a batch, one array per column. */
export const actionColumns = (rows: readonly (readonly SqlValue[])[]): SqlValue[][] =>
  ACTION_COLUMNS.map((_, column) => rows.map((row) => row[column] ?? null));

export const toAction = (row: SqlRow): ActionRecord => ({
  id: str(row.id),
  resourceType: str(row.resource_type) as ResourceType,
  resourceId: str(row.resource_id),
  customerId: str(row.customer_id),
  keyId: str(row.key_id),
  action: str(row.action) as PowerAction,
  provider: strOrNull(row.provider),
  taskRef: strOrNull(row.task_ref),
  status: str(row.status) as ActionStatus,
  error: strOrNull(row.error),
  requestedAt: num(row.requested_at),
  finishedAt: numOrNull(row.finished_at),
});

const toFollowed = (row: SqlRow): FollowedAction => ({
  ...toAction(row),
  checks: num(row.checks),
  progress: strOrNull(row.progress),
  lease: str(row.lease),
});

/**
 * Due actions, oldest due first, straight from the partial index of unfinished ones. Taking them
 * moves their next look one lease ahead: they are not due again unless this lease runs out.
 */
const claimActions = (lockSkippingLocked: string): string =>
  `UPDATE actions SET lease = ?, next_check_at = ? WHERE id IN (SELECT id FROM actions WHERE next_check_at <= ? AND requested_at <= ? ORDER BY next_check_at LIMIT ?${lockSkippingLocked}) RETURNING *`;

const SETTLE_ACTION =
  'UPDATE actions SET status = ?, error = ?, finished_at = ?, next_check_at = ?, checks = ?, progress = ? WHERE id = ? AND lease = ?';

const GET_ACTION = 'SELECT * FROM actions WHERE id = ? AND resource_type = ? AND resource_id = ?';

/** Newest first, by the machine's index; the keyset condition continues after a page. */
const LIST_ACTIONS =
  'SELECT * FROM actions WHERE resource_type = ? AND resource_id = ? AND requested_at >= ? ORDER BY requested_at DESC, id DESC LIMIT ?';
const LIST_ACTIONS_AFTER =
  'SELECT * FROM actions WHERE resource_type = ? AND resource_id = ? AND requested_at >= ? AND (requested_at < ? OR (requested_at = ? AND id < ?)) ORDER BY requested_at DESC, id DESC LIMIT ?';

export class SqlActionStore implements ActionStore {
  readonly #claim: string;

  constructor(private readonly db: SqlExecutor) {
    this.#claim = claimActions(db.capabilities.lockSkippingLocked);
  }

  async claim(claim: ActionClaim): Promise<FollowedAction[]> {
    const rows = await this.db.all(this.#claim, [
      claim.lease,
      claim.now + claim.leaseMs,
      claim.now,
      claim.firstCheckBefore,
      claim.limit,
    ]);
    return rows.map(toFollowed);
  }

  async settle(settlements: readonly ActionSettlement[]): Promise<ReadonlySet<string>> {
    if (settlements.length === 0) return new Set();
    return this.db.transaction(async (tx) => {
      const written = new Set<string>();
      for (const s of settlements) {
        const changed = await tx.run(SETTLE_ACTION, [
          s.status,
          s.error,
          s.finishedAt,
          s.nextCheckAt,
          s.checks,
          s.progress,
          s.id,
          s.lease,
        ]);
        if (changed === 0) continue;
        written.add(s.id);
        // The end's webhook events, in the commit that writes the end: queued once, never lost.
        if (ENDED.has(s.status)) {
          await queueEnded(
            tx,
            s.id,
            `power.action.${s.status as 'succeeded'}`,
            s.finishedAt ?? Date.now(),
          );
        }
      }
      return written;
    });
  }

  async get(
    resourceType: ResourceType,
    resourceId: string,
    id: string,
  ): Promise<ActionRecord | undefined> {
    const row = await this.db.get(GET_ACTION, [id, resourceType, resourceId]);
    return row === undefined ? undefined : toAction(row);
  }

  async list(
    resourceType: ResourceType,
    resourceId: string,
    query: ActionQuery,
  ): Promise<ActionPage> {
    // One more than asked for tells whether another page follows.
    const rows =
      query.after === undefined
        ? await this.db.all(LIST_ACTIONS, [resourceType, resourceId, query.since, query.limit + 1])
        : await this.db.all(LIST_ACTIONS_AFTER, [
            resourceType,
            resourceId,
            query.since,
            query.after.requestedAt,
            query.after.requestedAt,
            query.after.id,
            query.limit + 1,
          ]);
    const actions = rows.slice(0, query.limit).map(toAction);
    const last = actions.at(-1);
    return {
      actions,
      next:
        rows.length > query.limit && last !== undefined
          ? { requestedAt: last.requestedAt, id: last.id }
          : null,
    };
  }
}
