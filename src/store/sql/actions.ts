import type { PowerAction, ResourceType } from '../../domain/power.js';
import type {
  ActionPage,
  ActionQuery,
  ActionRecord,
  ActionStatus,
  ActionStore,
  AuditEntry,
} from '../store.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { num, numOrNull, str, strOrNull } from './rows.js';

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
      ];

/** The action rows of a batch, one array per column. */
export const actionColumns = (rows: readonly (readonly SqlValue[])[]): SqlValue[][] =>
  ACTION_COLUMNS.map((_, column) => rows.map((row) => row[column] ?? null));

const toAction = (row: SqlRow): ActionRecord => ({
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

const GET_ACTION = 'SELECT * FROM actions WHERE id = ? AND resource_type = ? AND resource_id = ?';

/** Newest first, by the machine's index; the keyset condition continues after a page. */
const LIST_ACTIONS =
  'SELECT * FROM actions WHERE resource_type = ? AND resource_id = ? AND requested_at >= ? ORDER BY requested_at DESC, id DESC LIMIT ?';
const LIST_ACTIONS_AFTER =
  'SELECT * FROM actions WHERE resource_type = ? AND resource_id = ? AND requested_at >= ? AND (requested_at < ? OR (requested_at = ? AND id < ?)) ORDER BY requested_at DESC, id DESC LIMIT ?';

export class SqlActionStore implements ActionStore {
  constructor(private readonly db: SqlExecutor) {}

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
