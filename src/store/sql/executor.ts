export type SqlValue = string | number | null;
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
   * How a batch of rows is best inserted: as one multi-row statement (one round trip to a server
   * database), or as one prepared statement run per row in a transaction (an in-process database,
   * where binding hundreds of parameters to one statement costs more than stepping it per row).
   */
  readonly batchInsert: 'multi-row' | 'per-row';
  /** A query with one `?` (a table name) that returns a row when that table exists. */
  readonly tableExistsQuery: string;
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
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs one statement once per parameter row, all in one transaction. */
  runBatch(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<void>;
  /** Runs `work` in a transaction. `work` must only use `tx` and await nothing else. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `callback` once the current transaction has committed (at once outside a transaction);
   * dropped if it rolls back. For in-process effects that must not be seen before the commit.
   */
  afterCommit(callback: () => void): void;
  close(): Promise<void>;
}
