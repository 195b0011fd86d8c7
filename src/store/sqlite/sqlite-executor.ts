import type { Database, Statement, Transaction } from 'better-sqlite3';
import { BoundedCache } from '../../lib/bounded-cache.js';
import {
  StoreBusyError,
  StoreConflictError,
  StoreReferenceError,
  StoreUnavailableError,
} from '../errors.js';
import { CommitCallbacks } from '../sql/commit-callbacks.js';
import type {
  SqlBatch,
  SqlCapabilities,
  SqlExecutor,
  SqlParam,
  SqlRow,
  SqlValue,
} from '../sql/executor.js';

export const SQLITE_CAPABILITIES: SqlCapabilities = {
  bigint: 'INTEGER',
  autoIdPrimaryKey: 'INTEGER PRIMARY KEY',
  batchInsert: 'per-row',
  tableExistsQuery: "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
  tryTransactionLockQuery: null,
  lockSkippingLocked: '',
};

export const translateSqliteError = (error: unknown): unknown => {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return error;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new StoreConflictError('already exists', { cause: error });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StoreReferenceError('still referenced', { cause: error });
  }
  if (code.startsWith('SQLITE_BUSY')) {
    return new StoreBusyError(`database busy (${code})`, { cause: error });
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new StoreUnavailableError(`database unavailable (${code})`, { cause: error });
  }
  return error;
};

/**
 * better-sqlite3 is synchronous; the executor wraps its results in promises so that the same
 * repositories run on PostgreSQL. Statements are prepared once and reused; the cache is bounded
 * because a multi-row insert would make one statement per batch size.
 */
export class SqliteExecutor implements SqlExecutor {
  readonly capabilities = SQLITE_CAPABILITIES;
  readonly #db: Database;
  readonly #statements = new BoundedCache<string, Statement>(256);
  readonly #batches = new BoundedCache<
    string,
    Transaction<(rows: readonly (readonly SqlValue[])[]) => void>
  >(64);
  readonly #multiBatches = new BoundedCache<
    string,
    Transaction<(batches: readonly SqlBatch[]) => void>
  >(16);
  readonly #afterCommit = new CommitCallbacks();

  constructor(db: Database) {
    this.#db = db;
  }

  get database(): Database {
    return this.#db;
  }

  prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async all<T extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return this.prepare(sql).all(...params) as T[];
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  async get<T extends SqlRow>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<T | undefined> {
    return this.getNow(sql, params) as T | undefined;
  }

  readonly getNow = (sql: string, params: readonly SqlValue[] = []): SqlRow | undefined => {
    try {
      return this.prepare(sql).get(...params) as SqlRow | undefined;
    } catch (error) {
      throw translateSqliteError(error);
    }
  };

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    try {
      return this.prepare(sql).run(...params).changes;
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  async runBatch(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<void> {
    this.runBatchSync(sql, rows);
  }

  /** The synchronous form; one transaction function per statement, built once. */
  runBatchSync(sql: string, rows: readonly (readonly SqlValue[])[]): void {
    try {
      let batch = this.#batches.get(sql);
      if (batch === undefined) {
        const statement = this.prepare(sql);
        batch = this.#db.transaction((all: readonly (readonly SqlValue[])[]) => {
          for (const row of all) statement.run(...row);
        });
        this.#batches.set(sql, batch);
      }
      batch(rows);
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  async runBatches(batches: readonly SqlBatch[]): Promise<void> {
    this.runBatchesSync(batches);
  }

  /** The synchronous form; one transaction function per list of statements, built once. */
  runBatchesSync(batches: readonly SqlBatch[]): void {
    const key = batches.map((batch) => batch.sql).join('\u0000');
    try {
      let run = this.#multiBatches.get(key);
      if (run === undefined) {
        const statements = batches.map((batch) => this.prepare(batch.sql));
        run = this.#db.transaction((all: readonly SqlBatch[]) => {
          all.forEach((batch, index) => {
            const statement = statements[index] as Statement;
            for (const row of batch.rows) statement.run(...row);
          });
        });
        this.#multiBatches.set(key, run);
      }
      run(batches);
    } catch (error) {
      throw translateSqliteError(error);
    }
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.#db.inTransaction) return work(this);
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw translateSqliteError(error);
    }
    try {
      const result = await work(this);
      this.#db.exec('COMMIT');
      this.#afterCommit.committed();
      return result;
    } catch (error) {
      this.#afterCommit.rolledBack();
      this.#rollbackIfOpen();
      throw translateSqliteError(error);
    }
  }

  afterCommit(callback: () => void): void {
    this.#afterCommit.add(callback, this.#db.inTransaction);
  }

  /** COMMIT itself may fail and leave the transaction open, or SQLite may have rolled it back. */
  #rollbackIfOpen(): void {
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
