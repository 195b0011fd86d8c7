import { describe, expect, it } from 'vitest';
import { AuditWriter } from '../../src/audit/audit-writer.js';
import { StoreBusyError } from '../../src/store/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import type { AuditEntry, AuditStore } from '../../src/store/store.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { auditEntry } from '../helpers/audit-entries.js';

const entry = auditEntry;

describe('AuditWriter group commit', () => {
  it('commits what arrives in one turn of the event loop as one batch, and resolves each record after it', async () => {
    const dir = tempDir();
    const store = openSqliteStore({ path: dir.file('audit.db') });
    await store.migrate();
    const batches: number[] = [];
    const counting: AuditStore = {
      append: async (entries) => {
        batches.push(entries.length);
        await store.audit.append(entries);
      },
      list: (query) => store.audit.list(query),
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
    const contended: AuditStore = {
      append: async (entries) => {
        if (busy-- > 0) throw new StoreBusyError('database busy (SQLITE_BUSY)');
        stored.push(...entries);
      },
      list: async () => [],
    };
    const writer = new AuditWriter(contended, captureLogs('silent').logger);
    await Promise.all([writer.record(entry(1)), writer.record(entry(2))]);
    expect(stored.map((e) => e.requestId)).toEqual(['req-1', 'req-2']);
  });

  it('rejects the records of a failed batch and keeps working for the next', async () => {
    let fail = true;
    const stored: AuditEntry[] = [];
    const flaky: AuditStore = {
      append: async (entries) => {
        if (fail) throw new Error('disk full');
        stored.push(...entries);
      },
      list: async () => [],
    };
    const logs = captureLogs('error');
    const writer = new AuditWriter(flaky, logs.logger);
    await expect(writer.record(entry(1))).rejects.toThrow('disk full');
    fail = false;
    await writer.record(entry(2));
    expect(stored.map((e) => e.requestId)).toEqual(['req-2']);
    expect(logs.text()).toContain('audit write failed');
  });
});
