import type {
  Actor,
  JsonObject,
  LogPage,
  OperatorEvent,
  OperatorFilter,
  OperatorLogStore,
  OperatorQuery,
} from '../store.js';
import type { SqlExecutor, SqlRow } from './executor.js';
import { type Conditions, iteratePages, readPage, timeRange } from './log-pages.js';
import { jsonObject, num, str } from './rows.js';

export const recordOperatorEvent = async (
  tx: SqlExecutor,
  actor: Actor,
  event: string,
  subject: string,
  detail: JsonObject | null,
  at = Date.now(),
): Promise<void> => {
  await tx.run(
    'INSERT INTO operator_log (at, actor, event, subject, detail) VALUES (?, ?, ?, ?, ?)',
    [at, actor.name, event, subject, detail === null ? null : JSON.stringify(detail)],
  );
};

const toEvent = (row: SqlRow): OperatorEvent => ({
  id: num(row.id),
  at: num(row.at),
  actor: str(row.actor),
  event: str(row.event),
  subject: str(row.subject),
  detail: jsonObject(row.detail),
});

export class SqlOperatorLogStore implements OperatorLogStore {
  constructor(private readonly db: SqlExecutor) {}

  async list(limit: number): Promise<readonly OperatorEvent[]> {
    return (await this.page({ limit })).rows;
  }

  page(query: OperatorQuery): Promise<LogPage<OperatorEvent>> {
    return readPage(this.db, 'operator', 'operator_log', operatorConditions(query), query, toEvent);
  }

  iterate(filter: OperatorFilter, pageSize?: number): AsyncIterable<OperatorEvent> {
    return iteratePages((page) => this.page({ ...filter, ...page }), pageSize);
  }
}

/** Escapes `LIKE` wildcards, so that a kind is matched as written. */
const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, '\\$&')}.%`;

/** The filter as conditions served by the indexes of migration 0003. */
export const operatorConditions = (filter: OperatorFilter): Conditions => {
  const conditions: Conditions = { where: [], params: [] };
  if (filter.event !== undefined) {
    conditions.where.push('event = ?');
    conditions.params.push(filter.event);
  }
  if (filter.subject !== undefined) {
    // Events are named `<kind>.<verb>` (`key.create`, `vps.add`): the subject's own events only.
    conditions.where.push("subject = ? AND event LIKE ? ESCAPE '\\'");
    conditions.params.push(filter.subject.id, likePrefix(filter.subject.kind));
  }
  timeRange(conditions, filter);
  return conditions;
};
