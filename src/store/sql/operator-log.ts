import type { Actor, JsonObject, OperatorEvent, OperatorLogStore } from '../store.js';
import type { SqlExecutor, SqlRow } from './executor.js';
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
    const rows = await this.db.all('SELECT * FROM operator_log ORDER BY id DESC LIMIT ?', [limit]);
    return rows.map(toEvent);
  }
}
