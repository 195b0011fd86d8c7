import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../errors.js';
import { actionRowsOf, auditParams } from '../sql/audit.js';
import { completionRowsOf } from '../sql/idempotency.js';
import { requestedEventRows } from '../sql/webhooks.js';
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
import type { AuditAckMessage, AuditBatchMessage } from './audit-worker.js';
import { translateSqliteError } from './sqlite-executor.js';
import { workerUrl } from './worker-url.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Audit appends that survive power loss: each batch is written and fsynced by a worker thread
 * with its own connection, and `append` resolves only after that. Reads use the main connection.
 */
export class FsyncAuditStore implements AuditStore {
  readonly #worker: Worker;
  readonly #reader: AuditStore;
  readonly #waiting = new Map<number, Waiter>();
  readonly #inFlight = new Set<Promise<void>>();
  #next = 0;
  #stopped: Error | null = null;

  constructor(path: string, reader: AuditStore) {
    this.#reader = reader;
    this.#worker = new Worker(workerUrl('audit-worker.js'), { workerData: { path } });
    this.#worker.on('message', (ack: AuditAckMessage) => {
      const waiter = this.#waiting.get(ack.id);
      this.#waiting.delete(ack.id);
      if (ack.error === undefined) waiter?.resolve();
      else
        waiter?.reject(
          translateSqliteError(Object.assign(new Error(ack.error.message), ack.error)),
        );
    });
    this.#worker.on('error', (error) => this.#stop(error));
    this.#worker.on('exit', () => this.#stop(new Error('audit writer thread exited')));
  }

  /**
   * Settles with the thread's answer only, even once the caller has given up on it: the thread's
   * connection fails at once on a lock (the caller waits between attempts), so the answer comes
   * soon, and a caller that waits for it before its next write (`amend` included) sees every
   * batch committed in order.
   */
  append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.#stopped !== null) {
      return Promise.reject(
        new StoreUnavailableError('audit writer stopped', { cause: this.#stopped }),
      );
    }
    const id = this.#next++;
    const done = new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
    });

    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    const message: AuditBatchMessage = {
      id,
      rows: entries.map(auditParams),
      actions: actionRowsOf(entries),
      completions: completionRowsOf(entries),
      events: requestedEventRows(entries),
    };
    this.#worker.postMessage(message);
    return done;
  }

  list(query: AuditQuery): Promise<readonly AuditRecord[]> {
    return this.#reader.list(query);
  }

  page(query: AuditQuery): Promise<LogPage<AuditRecord>> {
    return this.#reader.page(query);
  }

  iterate(filter: AuditFilter, pageSize?: number): AsyncIterable<AuditRecord> {
    return this.#reader.iterate(filter, pageSize);
  }

  prune(before: number, limit: number): Promise<PruneBatch> {
    return this.#reader.prune(before, limit);
  }

  probe(): Promise<void> {
    return this.#reader.probe();
  }

  async amend(
    entries: readonly AuditEntry[],
    outcome: AuditOutcome,
    signal?: AbortSignal,
    batches?: readonly string[],
  ): Promise<number> {
    return (await this.#reader.amend?.(entries, outcome, signal, batches)) ?? 0;
  }

  /** Stops the thread once every batch sent so far is acknowledged. */
  async close(): Promise<void> {
    await Promise.all(this.#inFlight);
    await this.#worker.terminate();
  }

  #stop(error: Error): void {
    this.#stopped ??= error;
    for (const waiter of this.#waiting.values()) {
      waiter.reject(new StoreUnavailableError('audit writer stopped', { cause: error }));
    }
    this.#waiting.clear();
  }
}
