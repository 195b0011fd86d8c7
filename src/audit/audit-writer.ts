import { type Clock, systemClock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import { auditBatchId } from '../store/audit-batch.js';
import { StoreBusyError, StoreUnavailableError } from '../store/errors.js';
import type { AuditEntry, AuditSink } from '../store/store.js';

/**
 * Entries committed together, and the one promise all their requests wait on. A batch settles
 * once: committed, failed, or given up at its deadline (whichever comes first).
 */
interface Batch {
  /** Its name in the store, for the fence that keeps it from committing once given up. */
  readonly id: string;
  readonly entries: AuditEntry[];
  readonly committed: Promise<void>;
  /** When its first entry was recorded plus the time-out, on the writer's clock. */
  readonly deadline: number;
  /** Tells an append in flight to stop: on PostgreSQL its connection is closed. */
  readonly abandon: AbortController;
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
  cancelTimer(): void;
}

const MAX_BATCH = 1_000;

/** Accepted requests whose commit is in doubt, kept for correction until the store answers. */
const MAX_IN_DOUBT = 10_000;

/** A promise that resolves after `ms`, or at once when `signal` aborts. */
const pause = (clock: Clock, ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const cancel = clock.after(ms, () => {
      signal.removeEventListener('abort', wake);
      resolve();
    });
    const wake = (): void => {
      cancel();
      resolve();
    };
    signal.addEventListener('abort', wake, { once: true });
  });

/**
 * Group commit for the audit log. `record` resolves once the entry is committed. The entries
 * recorded during one turn of the event loop form one batch, written in one transaction when the
 * turn ends; entries that arrive while a batch is being written form the next. A batch shares one
 * promise among all its requests.
 *
 * Every batch has a deadline: the time-out after its first entry was recorded. It holds whatever
 * the batch waits for: batches written before it, a database locked by another process (each
 * attempt and each pause counts), a statement in flight. At the deadline the batch's requests
 * fail with `StoreUnavailableError` (503), and an append still in flight is told to stop, so that
 * it cannot commit after its requests were answered.
 *
 * A statement the database had already received, or one the network still holds, may commit
 * after all. The accepted requests of such a batch were answered 503, so once the store answers
 * again the batch is fenced (it can no longer commit) and its rows, if there are any, are
 * corrected to say so (`AuditSink.amend`): a row never says 200 for a 503.
 */
export class AuditWriter {
  readonly #store: AuditSink;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  /** Batches waiting to be written, oldest first; the last one is still open. */
  readonly #waiting: Batch[] = [];
  /** The running drain, `null` when idle; it ends in the same turn that finds nothing waiting. */
  #draining: Promise<void> | null = null;
  /** The batch being written. */
  #writing: Batch | null = null;
  /** Entries of accepted requests answered 503 while their append was under way. */
  #inDoubt: AuditEntry[] = [];
  /** The batches those entries were appended in, to be fenced before they are corrected. */
  #inDoubtBatches: string[] = [];

  /** `timeoutMs`: the longest a record waits to be committed before its request fails. */
  constructor(store: AuditSink, logger: Logger, timeoutMs = 5_000, clock: Clock = systemClock) {
    this.#store = store;
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  record(entry: AuditEntry): Promise<void> {
    let open = this.#waiting.at(-1);
    if (open === undefined || open.entries.length >= MAX_BATCH) {
      open = this.#newBatch();
      this.#waiting.push(open);
    }
    open.entries.push(entry);
    this.#draining ??= this.#drain();
    return open.committed;
  }

  /**
   * Resolves when an audit record could be committed now (nothing is left behind), waiting for a
   * busy database as a batch would, up to the time-out; rejects otherwise. For readiness.
   */
  async probe(): Promise<void> {
    const deadline = this.#clock.now() + this.#timeoutMs;
    const never = new AbortController().signal;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        await this.#store.probe();
        return;
      } catch (error) {
        const left = deadline - this.#clock.now();
        if (!(error instanceof StoreBusyError) || left <= 0) throw error;
        await pause(this.#clock, Math.min(wait, left), never);
      }
    }
  }

  /** Resolves when everything recorded so far is committed (or has failed). */
  async flush(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
  }

  #newBatch(): Batch {
    let resolve: () => void = () => undefined;
    let reject: (error: unknown) => void = () => undefined;
    const committed = new Promise<void>((done, fail) => {
      resolve = done;
      reject = fail;
    });
    // Every request of the batch awaits this promise and sees a failure; this marks it handled so
    // that a batch nobody awaits any more cannot turn into an unhandled rejection.
    committed.catch(() => undefined);
    const batch: Batch = {
      id: auditBatchId(),
      entries: [],
      committed,
      deadline: this.#clock.now() + this.#timeoutMs,
      abandon: new AbortController(),
      settled: false,
      resolve: () => {
        if (batch.settled) return;
        batch.settled = true;
        batch.cancelTimer();
        resolve();
      },
      reject: (error) => {
        if (batch.settled) return;
        batch.settled = true;
        batch.cancelTimer();
        this.#logger.error({ err: error, entries: batch.entries.length }, 'audit write failed');
        reject(error);
      },
      cancelTimer: () => undefined,
    };
    batch.cancelTimer = this.#clock.after(this.#timeoutMs, () => {
      this.#giveUp(batch);
    });
    return batch;
  }

  /** The deadline passed: fail the batch's requests now, and stop its append if it is running. */
  #giveUp(batch: Batch): void {
    const index = this.#waiting.indexOf(batch);
    if (index !== -1) this.#waiting.splice(index, 1);
    if (batch === this.#writing) {
      const accepted = batch.entries.filter((entry) => entry.status === 200);
      if (accepted.length > 0) {
        this.#inDoubt = [...this.#inDoubt, ...accepted].slice(-MAX_IN_DOUBT);
        this.#inDoubtBatches = [...this.#inDoubtBatches, batch.id].slice(-MAX_IN_DOUBT);
      }
    }
    batch.reject(
      new StoreUnavailableError(`audit records not committed within ${this.#timeoutMs} ms`),
    );
    batch.abandon.abort();
  }

  /**
   * A busy database (another connection holds the write lock: a CLI change, a WAL restart) is
   * waited for here, a few milliseconds at a time, instead of inside the driver, where the wait
   * would stop the event loop and with it every other request; never past the batch's deadline.
   */
  async #append(batch: Batch): Promise<void> {
    const { signal } = batch.abandon;
    // Read afresh each time: the deadline may pass during any wait.
    const givenUp = (): boolean => signal.aborted;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        await this.#store.append(batch.entries, signal, batch.id);
        return;
      } catch (error) {
        const left = batch.deadline - this.#clock.now();
        if (!(error instanceof StoreBusyError) || left <= 0 || givenUp()) throw error;
        await pause(this.#clock, Math.min(wait, left), signal);
      }
      // Given up on at its deadline while pausing: its requests have had their answer.
      if (givenUp()) return;
    }
  }

  async #drain(): Promise<void> {
    // Let every request of this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      for (let batch = this.#waiting.shift(); batch !== undefined; batch = this.#waiting.shift()) {
        this.#writing = batch;
        try {
          await this.#amendInDoubt(batch.abandon.signal);
          await this.#append(batch);
          batch.resolve();
        } catch (error) {
          batch.reject(error);
        } finally {
          this.#writing = null;
        }
      }
    } finally {
      this.#draining = null;
    }
  }

  /**
   * Before the next batch: the rows of requests answered 503 while their append was under way
   * are made to say 503, if they were committed after all. A failure leaves them for next time
   * and does not hold up the batch, which meets the same store on its own.
   */
  async #amendInDoubt(signal: AbortSignal): Promise<void> {
    if (this.#inDoubt.length === 0 || this.#store.amend === undefined) return;
    const entries = this.#inDoubt;
    const batches = this.#inDoubtBatches;
    this.#inDoubt = [];
    this.#inDoubtBatches = [];
    try {
      const changed = await this.#store.amend(
        entries,
        { status: 503, error: 'service_unavailable' },
        signal,
        batches,
      );
      if (changed > 0) {
        this.#logger.warn(
          { rows: changed },
          'audit records committed for requests answered 503 were corrected to say 503',
        );
      }
    } catch {
      this.#inDoubt = [...entries, ...this.#inDoubt].slice(-MAX_IN_DOUBT);
      this.#inDoubtBatches = [...batches, ...this.#inDoubtBatches].slice(-MAX_IN_DOUBT);
    }
  }
}
