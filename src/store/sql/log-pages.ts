import { InvalidCursorError } from '../errors.js';
import type { LogPage, PageQuery } from '../store.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { num } from './rows.js';

/** Where a page ended: the last row's time and id (the logs' order is `at DESC, id DESC`). */
interface Position {
  readonly at: number;
  readonly id: number;
}

/** Which log a cursor belongs to, so that one log's cursor is refused by the other. */
export type LogName = 'audit' | 'operator';

const TAGS: Readonly<Record<LogName, string>> = { audit: 'a1', operator: 'o1' };
const CURSOR_TEXT = /^([a-z][0-9]):(-?[0-9]{1,16}):([0-9]{1,16})$/;

/** Opaque to its users: base64url of `<log tag>:<at>:<id>`. */
export const encodeCursor = (log: LogName, position: Position): string =>
  Buffer.from(`${TAGS[log]}:${position.at}:${position.id}`, 'utf8').toString('base64url');

export const decodeCursor = (log: LogName, cursor: string): Position => {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  const match = CURSOR_TEXT.exec(text);
  const at = Number(match?.[2]);
  const id = Number(match?.[3]);
  if (match?.[1] !== TAGS[log] || !Number.isSafeInteger(at) || !Number.isSafeInteger(id)) {
    throw new InvalidCursorError(`not a cursor of the ${log} log: ${JSON.stringify(cursor)}`);
  }
  return { at, id };
};

/** A filter's SQL: conditions joined by AND, and their parameters in order. */
export interface Conditions {
  readonly where: string[];
  readonly params: SqlValue[];
}

/** Both logs' time range: `since` inclusive, `until` exclusive. */
export const timeRange = (
  conditions: Conditions,
  filter: { readonly since?: number; readonly until?: number },
): void => {
  if (filter.since !== undefined) {
    conditions.where.push('at >= ?');
    conditions.params.push(filter.since);
  }
  if (filter.until !== undefined) {
    conditions.where.push('at < ?');
    conditions.params.push(filter.until);
  }
};

/**
 * The statement of one keyset page of `table`, newest first: the rows after the cursor's position,
 * read through the index that ends in `(at, id)`; one row more than asked tells whether another
 * page follows.
 */
export const pageStatement = (
  log: LogName,
  table: string,
  conditions: Conditions,
  query: PageQuery,
): { readonly sql: string; readonly params: readonly SqlValue[] } => {
  const where = [...conditions.where];
  const params = [...conditions.params];
  if (query.cursor !== undefined) {
    const after = decodeCursor(log, query.cursor);
    where.push('(at, id) < (?, ?)');
    params.push(after.at, after.id);
  }
  params.push(query.limit + 1);
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')} ` : '';
  return { sql: `SELECT * FROM ${table} ${clause}ORDER BY at DESC, id DESC LIMIT ?`, params };
};

export const readPage = async <T>(
  db: SqlExecutor,
  log: LogName,
  table: string,
  conditions: Conditions,
  query: PageQuery,
  toRecord: (row: SqlRow) => T,
): Promise<LogPage<T>> => {
  const { sql, params } = pageStatement(log, table, conditions, query);
  const rows = await db.all(sql, params);
  const more = rows.length > query.limit;
  const kept = more ? rows.slice(0, query.limit) : rows;
  const last = kept.at(-1);
  return {
    rows: kept.map(toRecord),
    nextCursor:
      more && last !== undefined ? encodeCursor(log, { at: num(last.at), id: num(last.id) }) : null,
  };
};

/** The default page size of `iterate`: large enough to be cheap per row, small enough to hold. */
export const ITERATE_PAGE_SIZE = 1_000;

/** Every row of a filter, page by page; only one page is held at a time. */
export async function* iteratePages<T>(
  page: (query: PageQuery) => Promise<LogPage<T>>,
  pageSize: number = ITERATE_PAGE_SIZE,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | null = null;
  do {
    const current: LogPage<T> = await page(
      cursor === null ? { limit: pageSize } : { limit: pageSize, cursor },
    );
    yield* current.rows;
    cursor = current.nextCursor;
  } while (cursor !== null);
}
