export type SqlValue = string | number | null;
/** A statement parameter: a value, or a whole column of values (PostgreSQL arrays only). */
export type SqlParam = SqlValue | readonly SqlValue[];

/** One statement and the rows it runs once for each. */
export interface SqlBatch {
  readonly sql: string;
  readonly rows: readonly (readonly SqlValue[])[];
}
export type SqlRow = Record<string, unknown>;

/**
 * What differs between the SQL databases heo-power runs on, as capabilities rather than
 * `if (dialect === ...)` checks scattered through queries.
 */
export interface SqlCapabilities {
  /** Column type for epoch-millisecond timestamps and counters. */
  readonly bigint: string;
  /** Column definition of an auto-increasing integer primary key. */
  readonly autoIdPrimaryKey: string;
  /**
   * How a batch of rows is best inserted: as one statement that takes each column as an array and
   * `unnest`s them (a server database: one round trip, and one statement text whatever the batch
   * size, so the server does not parse a new statement for each size), or as one prepared
   * statement run per row in a transaction (an in-process database, where stepping a statement
   * per row costs less than anything that builds a statement per batch).
   */
  readonly batchInsert: 'column-arrays' | 'per-row';
  /** A query with one `?` (a table name) that returns a row when that table exists. */
  readonly tableExistsQuery: string;
  /**
   * A query with one `?` (a lock name) that takes a lock of that name for the rest of the current
   * transaction when no other transaction holds it, answering one row whose `locked` is true when
   * it got it: background work shared by many instances (pruning) is done by one at a time.
   * `null` where one process owns the database and writers queue for its one write lock anyway
   * (SQLite).
   */
  readonly tryTransactionLockQuery: string | null;
  /**
   * What ends a `SELECT` whose rows one transaction takes for itself while others pass them by
   * (` FOR UPDATE SKIP LOCKED`), so instances sharing the database never take the same row;
   * empty where every write transaction holds the one write lock anyway (SQLite).
   */
  readonly lockSkippingLocked: string;
}

/**
 * The one query interface that the store's repositories are written against, implemented over
 * better-sqlite3 and over pg. Statements use `?` placeholders; implementations translate them.
 * Driver errors are translated to the errors of `../errors.ts`.
 */
export interface SqlExecutor {
  readonly capabilities: SqlCapabilities;
  all<T extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /**
   * `get` without a promise, where the database is in-process (SQLite). A lookup on the request
   * path that usually finds nothing (a key never seen before) then costs no turn of the
   * microtask queue.
   */
  readonly getNow?: (sql: string, params?: readonly SqlValue[]) => SqlRow | undefined;
  /**
   * Returns the number of rows changed. Array parameters need `column-arrays` support. When
   * `signal` aborts before the statement has answered, it is abandoned so that it cannot take
   * effect later (a server database closes its connection) and the call rejects.
   */
  run(sql: string, params?: readonly SqlParam[], signal?: AbortSignal): Promise<number>;
  /** Runs one statement once per parameter row, all in one transaction. */
  runBatch(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<void>;
  /** Several statements, each once per row of its own, in one transaction. */
  runBatches(batches: readonly SqlBatch[]): Promise<void>;
  /** Runs `work` in a transaction. `work` must only use `tx` and await nothing else. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `callback` once the current transaction has committed (at once outside a transaction);
   * dropped if it rolls back. For in-process effects that must not be seen before the commit.
   */
  afterCommit(callback: () => void): void;
  close(): Promise<void>;
}
