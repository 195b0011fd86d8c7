import type { Logger } from '../logger.js';
import type { AuditEntry, AuditStore } from '../store/store.js';

interface Pending {
  readonly entry: AuditEntry;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const MAX_BATCH = 1_000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Group commit for the audit log. `record` resolves once the entry is committed. Entries that
 * arrive while a batch is being written go into the next batch, so a busy server makes one
 * transaction per batch instead of one per request.
 */
export class AuditWriter {
  readonly #store: AuditStore;
  readonly #logger: Logger;
  #queue: Pending[] = [];
  /** The running drain, `null` when idle; it ends in the same turn that finds the queue empty. */
  #draining: Promise<void> | null = null;

  constructor(store: AuditStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  record(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Resolves when everything recorded so far is committed (or has failed). */
  async flush(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
  }

  async #drain(): Promise<void> {
    // Let every request of this turn of the event loop join the first batch.
    await nextTurn();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await this.#store.append(batch.map((p) => p.entry));
          for (const p of batch) p.resolve();
        } catch (error) {
          this.#logger.error({ err: error, entries: batch.length }, 'audit write failed');
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.#draining = null;
    }
  }
}
