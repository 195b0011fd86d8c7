import type { Socket } from 'node:net';
import { type ClientBase, type Pool, type PoolClient, type QueryResult, TypeOverrides } from 'pg';
import { BoundedCache } from '../../lib/bounded-cache.js';
import { StoreUnavailableError } from '../errors.js';
import { CommitCallbacks } from '../sql/commit-callbacks.js';
import type {
  SqlBatch,
  SqlCapabilities,
  SqlExecutor,
  SqlParam,
  SqlRow,
  SqlValue,
} from '../sql/executor.js';
import { isConnectionFailure, translatePgError } from './pg-errors.js';

export const POSTGRES_CAPABILITIES: SqlCapabilities = {
  bigint: 'BIGINT',
  autoIdPrimaryKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  batchInsert: 'column-arrays',
  tableExistsQuery:
    'SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?',
  // Per schema, so that deployments sharing a database do not wait for each other.
  tryTransactionLockQuery:
    "SELECT pg_try_advisory_xact_lock(hashtext('heo-power ' || ?::text || ' ' || current_schema())) AS locked",
  lockSkippingLocked: ' FOR UPDATE SKIP LOCKED',
};

const INT8_OID = 20;

/**
 * Type parsers of heo-power's pools and clients only (never pg's global ones): `BIGINT` columns
 * (epoch milliseconds, ids, counts) come back as numbers, as they do from SQLite.
 */
export const pgTypes = (): TypeOverrides => {
  const overrides = new TypeOverrides();
  overrides.setTypeParser(INT8_OID, 'text', (value: string): number => Number(value));
  return overrides;
};

/** `?` placeholders as PostgreSQL's `$1, $2...`, skipping quoted text; memoised per statement. */
export class Placeholders {
  readonly #cache = new BoundedCache<string, string>(1_024);

  positional(sql: string): string {
    let translated = this.#cache.get(sql);
    if (translated === undefined) {
      translated = toPositional(sql);
      this.#cache.set(sql, translated);
    }
    return translated;
  }
}

export const toPositional = (sql: string): string => {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
};

/** Rejects with `StoreUnavailableError` if `work` has not settled within `ms`. */
export const withDeadline = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new StoreUnavailableError(`no answer from the database within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
};

const ignoreError = (): void => undefined;

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/**
 * Closes a connection at once, discarding whatever it has not yet delivered: a statement given up
 * on must not reach the server later (TCP would go on retransmitting it after a graceful close)
 * nor commit there after its request was answered. A statement the server already received runs
 * on; only its answer is lost.
 */
export const abandonConnection = (client: ClientBase): void => {
  const stream = (client as unknown as { connection?: { stream?: Partial<Socket> } }).connection
    ?.stream;
  try {
    if (typeof stream?.resetAndDestroy === 'function') stream.resetAndDestroy();
    else stream?.destroy?.();
  } catch {
    // Not a TCP socket (TLS wraps it): close it plainly.
    stream?.destroy?.();
  }
};

/**
 * The statements both executors share, over each one's own way of running a query (on its
 * session's connection, or on one checked out of the pool).
 */
abstract class PgStatements implements SqlExecutor {
  readonly capabilities = POSTGRES_CAPABILITIES;

  protected abstract query(
    sql: string,
    params: readonly SqlParam[],
    signal?: AbortSignal,
  ): Promise<QueryResult>;
  abstract transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  abstract afterCommit(callback: () => void): void;
  abstract close(): Promise<void>;

  async all<T extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T extends SqlRow>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: readonly SqlParam[] = [], signal?: AbortSignal): Promise<number> {
    return (await this.query(sql, params, signal)).rowCount ?? 0;
  }

  async runBatch(sql: string, rows: readonly (readonly SqlValue[])[]): Promise<void> {
    await this.transaction(async (tx) => {
      for (const row of rows) await tx.run(sql, row);
    });
  }

  async runBatches(batches: readonly SqlBatch[]): Promise<void> {
    await this.transaction(async (tx) => {
      for (const batch of batches) for (const row of batch.rows) await tx.run(batch.sql, row);
    });
  }
}

/**
 * Statements on one connection: a transaction checked out of the pool, or the migrator's own
 * session. A nested `transaction` joins the one in progress.
 */
export class PgSessionExecutor extends PgStatements {
  readonly #client: ClientBase;
  readonly #placeholders: Placeholders;
  #inTransaction = false;
  readonly #afterCommit = new CommitCallbacks();

  constructor(client: ClientBase, placeholders: Placeholders) {
    super();
    this.#client = client;
    this.#placeholders = placeholders;
  }

  protected async query(sql: string, params: readonly SqlParam[]): Promise<QueryResult> {
    try {
      return await this.#client.query({
        text: this.#placeholders.positional(sql),
        values: [...params],
      });
    } catch (error) {
      throw translatePgError(error);
    }
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.#inTransaction) return work(this);
    await this.query('BEGIN', []);
    this.#inTransaction = true;
    try {
      const result = await work(this);
      await this.query('COMMIT', []);
      this.#inTransaction = false;
      this.#afterCommit.committed();
      return result;
    } catch (error) {
      this.#afterCommit.rolledBack();
      if (this.#inTransaction) {
        this.#inTransaction = false;
        // On a broken connection the rollback fails too; the server rolls back on its own.
        await this.#client.query('ROLLBACK').catch(ignoreError);
      }
      throw translatePgError(error);
    }
  }

  afterCommit(callback: () => void): void {
    this.#afterCommit.add(callback, this.#inTransaction);
  }

  async close(): Promise<void> {
    // The session's owner releases or ends the connection.
  }
}

/**
 * The store's executor over a pg pool. Each statement checks a connection out, runs and returns
 * it (a broken connection is dropped from the pool); each operation is bounded by `timeoutMs`,
 * so a database that stopped answering fails a request with `StoreUnavailableError` instead of
 * holding it. An operation given up on (its time-out, or its caller's `signal`) closes the
 * connection it runs on, so that nothing it sent can take effect after it failed.
 */
export class PgPoolExecutor extends PgStatements {
  readonly #pool: Pool;
  readonly #timeoutMs: number;
  readonly #placeholders = new Placeholders();

  constructor(pool: Pool, timeoutMs: number) {
    super();
    this.#pool = pool;
    this.#timeoutMs = timeoutMs;
  }

  get placeholders(): Placeholders {
    return this.#placeholders;
  }

  #withClient<T>(work: (client: ClientBase) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let client: PoolClient | undefined;
      let done = false;
      let abandoned = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
        return true;
      };
      const giveUp = (): void => {
        if (!finish()) return;
        if (client !== undefined) {
          abandoned = true;
          abandonConnection(client);
        }
        reject(
          new StoreUnavailableError(
            signal?.aborted === true
              ? 'database operation abandoned'
              : `no answer from the database within ${this.#timeoutMs} ms`,
          ),
        );
      };
      const timer = setTimeout(giveUp, this.#timeoutMs);
      if (signal?.aborted === true) {
        giveUp();
        return;
      }
      signal?.addEventListener('abort', giveUp, { once: true });
      this.#pool.connect().then(
        (checkedOut) => {
          // A connection that fails between two statements emits 'error' while checked out;
          // without a listener that would end the process. The failure shows on the next
          // statement instead.
          checkedOut.on('error', ignoreError);
          const release = (failure?: unknown): void => {
            checkedOut.off('error', ignoreError);
            const broken = abandoned || (failure !== undefined && isConnectionFailure(failure));
            // A broken connection may still hold a statement on its way to the server (pg's own
            // query time-out, a connection that stopped answering): it is reset, never ended
            // gracefully, so that what it held cannot arrive and commit after its failure.
            if (broken && !abandoned) abandonConnection(checkedOut);
            checkedOut.release(broken ? true : undefined);
          };
          if (done) {
            release();
            return;
          }
          client = checkedOut;
          work(checkedOut).then(
            (value) => {
              release();
              if (finish()) resolve(value);
            },
            (error: unknown) => {
              release(error);
              if (finish()) reject(asError(error));
            },
          );
        },
        (error: unknown) => {
          if (finish()) reject(asError(translatePgError(error)));
        },
      );
    });
  }

  protected async query(
    sql: string,
    params: readonly SqlParam[],
    signal?: AbortSignal,
  ): Promise<QueryResult> {
    const text = this.#placeholders.positional(sql);
    return this.#withClient(async (client) => {
      try {
        return await client.query({ text, values: [...params] });
      } catch (error) {
        throw translatePgError(error);
      }
    }, signal);
  }

  /** Every statement of `work` runs on one checked-out connection, between BEGIN and COMMIT. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#withClient((client) =>
      new PgSessionExecutor(client, this.#placeholders).transaction(work),
    );
  }

  afterCommit(callback: () => void): void {
    callback();
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
