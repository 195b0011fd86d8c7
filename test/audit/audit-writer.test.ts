import { describe, expect, it } from 'vitest';
import { AuditWriter } from '../../src/audit/audit-writer.js';
import { StoreBusyError, StoreUnavailableError } from '../../src/store/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import type { AuditEntry, AuditSink } from '../../src/store/store.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { auditEntry } from '../helpers/audit-entries.js';
import { ManualClock, settle } from '../helpers/manual-clock.js';

const entry = auditEntry;

describe('AuditWriter group commit', () => {
  it('commits what arrives in one turn of the event loop as one batch, and resolves each record after it', async () => {
    const dir = tempDir();
    const store = openSqliteStore({ path: dir.file('audit.db') });
    await store.migrate();
    const batches: number[] = [];
    const counting: AuditSink = {
      append: async (entries) => {
        batches.push(entries.length);
        await store.audit.append(entries);
      },
      probe: () => store.audit.probe(),
    };
    const writer = new AuditWriter(counting, captureLogs('silent').logger);
    try {
      const seen: number[] = [];
      await Promise.all(
        Array.from({ length: 50 }, (_, n) =>
          writer.record(entry(n)).then(async () => {
            seen.push((await store.audit.list({ limit: 1000 })).length);
          }),
        ),
      );
      expect(batches).toEqual([50]);
      expect(Math.min(...seen)).toBe(50);

      await writer.record(entry(100));
      await writer.flush();
      expect(batches).toEqual([50, 1]);
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('waits for a busy database without failing the batch', async () => {
    let busy = 3;
    const stored: AuditEntry[] = [];
    const contended: AuditSink = {
      append: async (entries) => {
        if (busy-- > 0) throw new StoreBusyError('database busy (SQLITE_BUSY)');
        stored.push(...entries);
      },
      probe: async () => undefined,
    };
    const writer = new AuditWriter(contended, captureLogs('silent').logger);
    await Promise.all([writer.record(entry(1)), writer.record(entry(2))]);
    expect(stored.map((e) => e.requestId)).toEqual(['req-1', 'req-2']);
  });

  it('rejects the records of a failed batch and keeps working for the next', async () => {
    let fail = true;
    const stored: AuditEntry[] = [];
    const flaky: AuditSink = {
      append: async (entries) => {
        if (fail) throw new Error('disk full');
        stored.push(...entries);
      },
      probe: async () => undefined,
    };
    const logs = captureLogs('error');
    const writer = new AuditWriter(flaky, logs.logger);
    await expect(writer.record(entry(1))).rejects.toThrow('disk full');
    fail = false;
    await writer.record(entry(2));
    expect(stored.map((e) => e.requestId)).toEqual(['req-2']);
    expect(logs.text()).toContain('audit write failed');
  });

  describe('deadlines, in the time of an injected clock', () => {
    const TIMEOUT_MS = 1_000;

    /** Where a record's promise stands: pending, committed, or the error it failed with. */
    const track = (promise: Promise<void>) => {
      const state: { outcome: unknown } = { outcome: 'pending' };
      promise.then(
        () => (state.outcome = 'committed'),
        (error: unknown) => (state.outcome = error),
      );
      return state;
    };

    it('a batch queued behind a stalled one fails at its own deadline, not a whole time-out after the first gives up', async () => {
      const clock = new ManualClock();
      const aborted: number[] = [];
      // A store that never answers until the writer gives up on the append (a silent network).
      const stalled: AuditSink = {
        append: (entries, signal) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => {
              aborted.push(entries.length);
              reject(new StoreUnavailableError('abandoned'));
            });
          }),
        probe: async () => undefined,
      };
      const writer = new AuditWriter(stalled, captureLogs('silent').logger, TIMEOUT_MS, clock);
      const first = track(writer.record(entry(1)));
      await settle();
      await clock.advance(TIMEOUT_MS / 2);
      // Recorded while the first batch is being written: the next batch.
      const second = track(writer.record(entry(2)));
      await clock.advance(TIMEOUT_MS / 2);
      expect(first.outcome).toBeInstanceOf(StoreUnavailableError);
      expect(second.outcome).toBe('pending');
      await clock.advance(TIMEOUT_MS / 2 - 1);
      expect(second.outcome).toBe('pending');
      await clock.advance(1);
      expect(second.outcome).toBeInstanceOf(StoreUnavailableError);
      // Each append in flight was told to stop, so that nothing it sent can commit later.
      expect(aborted).toEqual([1, 1]);
      expect(clock.pending).toBe(0);
    });

    it('waits for a busy database until the deadline, counting the time each attempt spent blocked', async () => {
      const clock = new ManualClock();
      let attempts = 0;
      // Each attempt waits inside the driver for the lock before it gives up (a busy timeout).
      const locked: AuditSink = {
        append: async () => {
          attempts += 1;
          clock.skip(400);
          throw new StoreBusyError('database busy (SQLITE_BUSY)');
        },
        probe: async () => undefined,
      };
      const writer = new AuditWriter(locked, captureLogs('silent').logger, TIMEOUT_MS, clock);
      const record = track(writer.record(entry(1)));
      for (let i = 0; i < 200 && record.outcome === 'pending'; i++) await clock.advance(10);
      expect(record.outcome).toBeInstanceOf(StoreBusyError);
      expect(attempts).toBe(3);
    });

    it('a batch that commits within its deadline resolves, and leaves no timer behind', async () => {
      const clock = new ManualClock();
      const stored: AuditEntry[] = [];
      const store: AuditSink = {
        append: async (entries) => {
          stored.push(...entries);
        },
        probe: async () => undefined,
      };
      const writer = new AuditWriter(store, captureLogs('silent').logger, TIMEOUT_MS, clock);
      await Promise.all([writer.record(entry(1)), writer.record(entry(2))]);
      expect(stored).toHaveLength(2);
      expect(clock.pending).toBe(0);
    });

    it('rows committed after their requests were answered 503 are made to say 503 before the next batch', async () => {
      const clock = new ManualClock();
      let commitLate: () => void = () => undefined;
      const amended: [string[], unknown][] = [];
      // A store that commits the first batch only after the writer gave up on it.
      const late: AuditSink = {
        append: (entries) =>
          entries[0]?.requestId === 'req-1'
            ? new Promise((resolve) => (commitLate = resolve))
            : Promise.resolve(),
        amend: async (entries, outcome) => {
          amended.push([entries.map((e) => e.requestId), outcome]);
          return entries.length;
        },
        probe: async () => undefined,
      };
      const writer = new AuditWriter(late, captureLogs('silent').logger, TIMEOUT_MS, clock);
      const first = track(writer.record(entry(1)));
      const refusal = track(writer.record(entry(2, { status: 403, error: 'forbidden' })));
      await clock.advance(TIMEOUT_MS);
      expect(first.outcome).toBeInstanceOf(StoreUnavailableError);
      expect(refusal.outcome).toBeInstanceOf(StoreUnavailableError);
      commitLate();
      await writer.record(entry(3));
      // Only the accepted request's answer differs from its row: a refusal is answered anyway.
      expect(amended).toEqual([[['req-1'], { status: 503, error: 'service_unavailable' }]]);
    });
  });
});
