import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditPruner, pruneAuditLog } from '../../src/audit/audit-pruner.js';
import { InvalidCursorError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/open-store.js';
import { toPositional } from '../../src/store/postgres/pg-executor.js';
import {
  AMEND_AUDIT_COLUMNS,
  AMEND_AUDIT_ROW,
  auditConditions,
  PRUNE_AUDIT_ROWS,
} from '../../src/store/sql/audit.js';
import { pageStatement } from '../../src/store/sql/log-pages.js';
import { operatorConditions } from '../../src/store/sql/operator-log.js';
import { openSqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import type { AuditEntry, AuditFilter, OperatorFilter, Store } from '../../src/store/store.js';
import { auditEntry } from '../helpers/audit-entries.js';
import { captureLogs } from '../helpers/log-capture.js';
import { createTestSchema, servicesAvailable } from '../helpers/services.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A store of one kind, and how to ask its database for a statement's plan. */
interface LogHarness {
  readonly store: Store;
  /** The plan's lines, for `sql` with `?` placeholders. */
  plan(sql: string, params: readonly unknown[]): Promise<readonly string[]>;
  /** On PostgreSQL: runs `work` while another session holds the pruning lock. */
  holdingPruneLock?: (work: () => Promise<void>) => Promise<void>;
  cleanup(): Promise<void>;
}

const sqliteHarness = async (): Promise<LogHarness> => {
  const dir = tempDir();
  const path = dir.file('audit.db');
  const store = openSqliteStore({ path });
  await store.migrate();
  const inspector = new BetterSqlite3(path, { readonly: true });
  return {
    store,
    plan: async (sql, params) =>
      (inspector.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
        (row) => row.detail,
      ),
    cleanup: async () => {
      inspector.close();
      await store.close();
      dir.remove();
    },
  };
};

const postgresHarness = async (): Promise<LogHarness> => {
  const schema = await createTestSchema();
  const store = await openStore({ databaseUrl: schema.url, poolSize: 3, timeoutMs: 5_000 });
  await store.migrate();
  const inspector = new Client({ connectionString: schema.url });
  await inspector.connect();
  return {
    store,
    plan: async (sql, params) => {
      await inspector.query('ANALYZE audit_log');
      await inspector.query('ANALYZE operator_log');
      // A table this small is cheapest to read whole: the plan shows whether an index *can*
      // serve the query, as it will once the log is large.
      await inspector.query('SET enable_seqscan = off');
      const { rows } = await inspector.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${toPositional(sql)}`,
        [...params],
      );
      return rows.map((row) => row['QUERY PLAN']);
    },
    holdingPruneLock: async (work) => {
      const other = new Client({ connectionString: schema.url });
      await other.connect();
      try {
        await other.query(
          "SELECT pg_advisory_lock(hashtext('heo-power ' || 'audit prune' || ' ' || current_schema()))",
        );
        await work();
      } finally {
        await other.end();
      }
    },
    cleanup: async () => {
      await inspector.end();
      await store.close();
      await schema.drop();
    },
  };
};

const HARNESSES: readonly (readonly [string, () => Promise<LogHarness>])[] = [
  ['SQLite', sqliteHarness],
  ...(servicesAvailable('postgres') ? [['PostgreSQL', postgresHarness] as const] : ([] as const)),
];

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

/** 40 requests an hour apart, of two keys, customers, machines, actions and statuses. */
const SAMPLE: readonly AuditEntry[] = Array.from({ length: 40 }, (_, n) =>
  auditEntry(n, {
    at: T0 + n * HOUR,
    keyId: n % 2 === 0 ? 'key_even' : 'key_odd',
    customerId: n % 4 === 0 ? 'cus_b' : 'cus_a',
    resourceType: n % 5 === 0 ? 'game' : 'vps',
    resourceId: n % 5 === 0 ? 'srv_1' : 'vps_1',
    action: n % 3 === 0 ? 'stop' : 'start',
    status: n % 7 === 0 ? 403 : 200,
  }),
);

const ids = (rows: readonly { readonly requestId: string }[]) => rows.map((r) => r.requestId);
/** The sample's request ids matching `keep`, newest first. */
const expected = (keep: (e: AuditEntry) => boolean) =>
  SAMPLE.filter(keep)
    .map((e) => e.requestId)
    .reverse();

describe.each(HARNESSES)('audit and operator logs at scale: %s', (_name, open) => {
  let harness: LogHarness;
  let store: Store;

  beforeEach(async () => {
    harness = await open();
    store = harness.store;
    // Appended out of time order, in three batches: the log's order is the records' time.
    await store.audit.append(SAMPLE.slice(20));
    await store.audit.append(SAMPLE.slice(0, 10));
    await store.audit.append(SAMPLE.slice(10, 20));
  });
  afterEach(() => harness.cleanup());

  it('filters by every field, alone and together, newest first', async () => {
    const cases: readonly (readonly [AuditFilter, (e: AuditEntry) => boolean])[] = [
      [{}, () => true],
      [{ since: T0 + 30 * HOUR }, (e) => e.at >= T0 + 30 * HOUR],
      [{ until: T0 + 5 * HOUR }, (e) => e.at < T0 + 5 * HOUR],
      [{ keyId: 'key_odd' }, (e) => e.keyId === 'key_odd'],
      [{ customerId: 'cus_b' }, (e) => e.customerId === 'cus_b'],
      [{ resource: { type: 'game', id: 'srv_1' } }, (e) => e.resourceType === 'game'],
      [{ resource: { type: 'vps', id: 'srv_1' } }, () => false],
      [{ action: 'stop' }, (e) => e.action === 'stop'],
      [{ status: 403 }, (e) => e.status === 403],
      [{ requestId: 'req-17' }, (e) => e.requestId === 'req-17'],
      [
        { keyId: 'key_even', status: 200, since: T0 + 10 * HOUR, until: T0 + 30 * HOUR },
        (e) =>
          e.keyId === 'key_even' &&
          e.status === 200 &&
          e.at >= T0 + 10 * HOUR &&
          e.at < T0 + 30 * HOUR,
      ],
    ];
    for (const [filter, keep] of cases) {
      const page = await store.audit.page({ ...filter, limit: 100 });
      expect(ids(page.rows), JSON.stringify(filter)).toEqual(expected(keep));
      expect(page.nextCursor).toBeNull();
    }
  });

  it('pages past any limit with the cursor of the page before, each record once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await store.audit.page({
        keyId: 'key_even',
        limit: 6,
        ...(cursor === null ? {} : { cursor }),
      });
      expect(page.rows.length).toBeLessThanOrEqual(6);
      seen.push(...ids(page.rows));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(4);
    expect(seen).toEqual(expected((e) => e.keyId === 'key_even'));

    const exact = await store.audit.page({ limit: 40 });
    expect(exact.rows).toHaveLength(40);
    expect(exact.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not make, and the other log’s', async () => {
    const { nextCursor } = await store.audit.page({ limit: 1 });
    expect(nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const cursor of ['', 'abc', 'YTE6MTox!', `${nextCursor ?? ''}x`]) {
      await expect(store.audit.page({ limit: 1, cursor })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    }
    await expect(
      store.operatorLog.page({ limit: 1, cursor: nextCursor ?? '' }),
    ).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('iterates every matching record in keyset pages', async () => {
    const all: string[] = [];
    for await (const record of store.audit.iterate({ customerId: 'cus_a' }, 7)) {
      all.push(record.requestId);
    }
    expect(all).toEqual(expected((e) => e.customerId === 'cus_a'));
  });

  it('filters the operator log by time, event and subject', async () => {
    const actor = { name: 'test' };
    await store.providers.add(
      {
        name: 'sim',
        type: 'simulator',
        settings: {},
        secret: null,
        secretHint: null,
        createdAt: 1,
        updatedAt: 1,
      },
      actor,
    );
    const at = Date.now();
    await store.resources.add(
      {
        type: 'vps',
        id: 'key_1',
        customerId: 'cus_a',
        provider: 'sim',
        ref: 'r',
        createdAt: at,
        assignedAt: at,
      },
      actor,
    );
    await store.keys.create(
      {
        id: 'key_1',
        customerId: 'cus_a',
        name: null,
        scope: 'power',
        resources: null,
        allowedIps: null,
        hash: 'a'.repeat(64),
        displayPrefix: 'heo_abcdefgh',
        createdAt: at + 60_000,
        expiresAt: null,
      },
      actor,
    );
    await store.keys.revoke('key_1', at + 120_000, actor);
    const events = async (filter: OperatorFilter) =>
      (await store.operatorLog.page({ ...filter, limit: 10 })).rows.map(
        (e) => `${e.event} ${e.subject}`,
      );
    // A machine may be named like a key: the subject's kind tells them apart.
    expect(await events({ subject: { kind: 'key', id: 'key_1' } })).toEqual([
      'key.revoke key_1',
      'key.create key_1',
    ]);
    expect(await events({ subject: { kind: 'vps', id: 'key_1' } })).toEqual(['vps.add key_1']);
    expect(await events({ event: 'provider.add' })).toEqual(['provider.add sim']);
    expect(await events({ since: at + 60_000, until: at + 120_000 })).toEqual(['key.create key_1']);
    const first = await store.operatorLog.page({ limit: 3 });
    expect(first.nextCursor).not.toBeNull();
    const rest = await store.operatorLog.page({ limit: 3, cursor: first.nextCursor ?? '' });
    expect(rest.rows.map((e) => e.event)).toEqual(['provider.add']);
    const all: string[] = [];
    for await (const e of store.operatorLog.iterate({}, 2)) all.push(e.event);
    expect(all).toEqual(['key.revoke', 'key.create', 'vps.add', 'provider.add']);
  });

  it('prunes records older than a time in batches, and nothing else', async () => {
    const before = T0 + 25 * HOUR;
    expect(await store.audit.prune(before, 10)).toEqual({ deleted: 10, acquired: true });
    expect(await pruneAuditLog(store.audit, before, { batchRows: 4 })).toEqual({
      deleted: 15,
      acquired: true,
    });
    expect(ids(await store.audit.list({ limit: 100 }))).toEqual(expected((e) => e.at >= before));
    expect(await store.audit.prune(before, 10)).toEqual({ deleted: 0, acquired: true });
  });

  it('prunes past the retention in the background, the operator log kept', async () => {
    const logs = captureLogs('info');
    const pruner = new AuditPruner({
      audit: store.audit,
      retentionDays: 1,
      logger: logs.logger,
      now: () => T0 + 30 * HOUR,
      pauseMs: 0,
    });
    expect(await pruner.runOnce()).toEqual({ deleted: 6, acquired: true });
    await pruner.close();
    expect(ids(await store.audit.list({ limit: 100 }))).toEqual(
      expected((e) => e.at >= T0 + 6 * HOUR),
    );
  });

  it('serves every filter, the cursor, the amendment and pruning from an index', async () => {
    const filters: readonly (readonly [AuditFilter, string])[] = [
      [{}, 'audit_log_at'],
      [{ since: T0 + 30 * HOUR }, 'audit_log_at'],
      [{ until: T0 + 5 * HOUR }, 'audit_log_at'],
      [{ keyId: 'key_odd' }, 'audit_log_key'],
      [{ customerId: 'cus_b' }, 'audit_log_customer'],
      [{ resource: { type: 'game', id: 'srv_1' } }, 'audit_log_resource'],
      [{ action: 'stop' }, 'audit_log_action'],
      [{ status: 403 }, 'audit_log_status'],
      [{ requestId: 'req-17' }, 'audit_log_request'],
      [{ keyId: 'key_odd', since: T0, until: T0 + 30 * HOUR }, 'audit_log_key'],
    ];
    const { nextCursor } = await store.audit.page({ limit: 5 });
    for (const [filter, index] of filters) {
      for (const cursor of [undefined, nextCursor ?? undefined]) {
        const query = { limit: 50, ...(cursor === undefined ? {} : { cursor }) };
        const { sql, params } = pageStatement('audit', 'audit_log', auditConditions(filter), query);
        const plan = (await harness.plan(sql, params)).join('\n');
        const context = `${JSON.stringify(filter)}${cursor === undefined ? '' : ' after a cursor'}:\n${plan}`;
        expect(plan, context).toContain(index);
        expect(plan, context).not.toMatch(/Seq Scan|SCAN audit_log(?! USING)/);
      }
    }
    const operator: readonly (readonly [OperatorFilter, string])[] = [
      [{}, 'operator_log_at'],
      [{ since: T0 }, 'operator_log_at'],
      [{ event: 'key.create' }, 'operator_log_event'],
      [{ subject: { kind: 'key', id: 'key_1' } }, 'operator_log_subject'],
    ];
    for (const [filter, index] of operator) {
      const { sql, params } = pageStatement(
        'operator',
        'operator_log',
        operatorConditions(filter),
        { limit: 50 },
      );
      const plan = (await harness.plan(sql, params)).join('\n');
      expect(plan, plan).toContain(index);
      expect(plan, plan).not.toMatch(/Seq Scan|SCAN operator_log(?! USING)/);
    }

    const amend =
      store.dialect === 'sqlite'
        ? await harness.plan(AMEND_AUDIT_ROW, [503, 'service_unavailable', 'req-1', 'key_odd', T0])
        : await harness.plan(AMEND_AUDIT_COLUMNS, [
            503,
            'service_unavailable',
            ['req-1'],
            ['key_odd'],
            [T0],
          ]);
    expect(amend.join('\n')).not.toMatch(/Seq Scan on audit_log|SCAN audit_log(?! USING)/);
    const prune = (await harness.plan(PRUNE_AUDIT_ROWS, [T0, 1_000])).join('\n');
    expect(prune).toContain('audit_log_at');
    expect(prune).not.toMatch(/Seq Scan on audit_log|SCAN audit_log(?! USING)/);
  });

  it('lets one instance prune at a time: a batch finds the lock taken and leaves it', async () => {
    if (harness.holdingPruneLock === undefined) {
      // SQLite: one process owns the file, and its writers take turns for the one write lock.
      expect((await store.audit.prune(T0 + 2 * HOUR, 10)).acquired).toBe(true);
      return;
    }
    await harness.holdingPruneLock(async () => {
      expect(await store.audit.prune(T0 + 10 * HOUR, 100)).toEqual({
        deleted: 0,
        acquired: false,
      });
      expect(await pruneAuditLog(store.audit, T0 + 10 * HOUR)).toEqual({
        deleted: 0,
        acquired: false,
      });
    });
    expect(await store.audit.list({ limit: 100 })).toHaveLength(40);
    expect(await store.audit.prune(T0 + 10 * HOUR, 100)).toEqual({ deleted: 10, acquired: true });
  });
});
