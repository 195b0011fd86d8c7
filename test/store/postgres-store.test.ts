import { Pool, types } from 'pg';
import { PgPoolExecutor, pgTypes } from '../../src/store/postgres/pg-executor.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditBatchId } from '../../src/store/audit-batch.js';
import { StoreConflictError, StoreUnavailableError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { auditEntry } from '../helpers/audit-entries.js';
import { captureLogs } from '../helpers/log-capture.js';
import {
  adminQuery,
  createTestSchema,
  servicesAvailable,
  type TestSchema,
} from '../helpers/services.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../helpers/tcp-proxy.js';
import { describeStoreContract } from './store-contract.js';
import { LATEST_VERSION, MIGRATIONS } from '../../src/store/migrations/index.js';

const available = servicesAvailable('postgres');

const open = (
  url: string,
  extra: { timeoutMs?: number; logs?: ReturnType<typeof captureLogs> } = {},
) =>
  openStore({
    databaseUrl: url,
    poolSize: 3,
    timeoutMs: extra.timeoutMs ?? 5_000,
    ...(extra.logs === undefined ? {} : { logger: extra.logs.logger }),
  });

/** Polls `check` every 50 ms, at most `attempts` times. */
const eventually = async (check: () => boolean | Promise<boolean>, attempts = 200) => {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
};

const provider = (name: string) => ({
  name,
  type: 'simulator' as const,
  settings: {},
  secret: null,
  secretHint: null,
  createdAt: 1,
  updatedAt: 1,
});
const actor = { name: 'test' };

describe.runIf(available)('PostgreSQL store', () => {
  describeStoreContract('PostgreSQL', async () => {
    const schema = await createTestSchema();
    const store = await open(schema.url);
    return {
      store,
      openOther: () => open(schema.url),
      cleanup: async () => {
        await store.close();
        await schema.drop();
      },
    };
  });

  describe('migrations', () => {
    let schema: TestSchema;
    beforeEach(async () => {
      schema = await createTestSchema();
    });
    afterEach(() => schema.drop());

    it('are applied exactly once when several instances migrate at the same moment', async () => {
      const stores = await Promise.all([1, 2, 3, 4].map(() => open(schema.url)));
      try {
        const applied = await Promise.all(stores.map((store) => store.migrate()));
        expect(applied.flat()).toEqual(MIGRATIONS.map((migration) => migration.name));
        const history = await adminQuery<{ version: number }>(
          `SELECT version FROM "${schema.name}".heo_schema_migrations`,
        );
        expect(history).toEqual(MIGRATIONS.map(({ version }) => ({ version })));
        for (const store of stores)
          expect(await store.migrationStatus()).toEqual({
            current: LATEST_VERSION,
            latest: LATEST_VERSION,
            pending: [],
          });
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it('report a schema that has not been migrated', async () => {
      const store = await open(schema.url);
      try {
        expect(await store.migrationStatus()).toEqual({
          current: 0,
          latest: LATEST_VERSION,
          pending: MIGRATIONS.map((migration) => migration.name),
        });
      } finally {
        await store.close();
      }
    });
  });

  it('parses BIGINT as numbers in its own pools only, leaving pg global parsers alone', async () => {
    const schema = await createTestSchema();
    const store = await open(schema.url);
    try {
      await store.migrate();
      await store.audit.append([
        {
          at: 1_700_000_000_123,
          requestId: 'r1',
          keyId: 'k',
          customerId: 'c',
          resourceType: 'vps',
          resourceId: 'v',
          action: 'start',
          status: 200,
          error: null,
          clientIp: null,
          provider: null,
          upstreamStatus: null,
          upstreamDetail: null,
          taskRef: null,
        },
      ]);
      const [record] = await store.audit.list({ limit: 1 });
      expect(record).toMatchObject({ id: 1, at: 1_700_000_000_123 });
      const globalInt8 = types.getTypeParser(types.builtins.INT8) as (value: string) => unknown;
      expect(globalInt8('9007199254740993')).toBe('9007199254740993');
    } finally {
      await store.close();
      await schema.drop();
    }
  });

  it('refuses to open, quickly and clearly, when nothing listens', async () => {
    const proxy = await startTcpProxy(targetOf('postgres://127.0.0.1:5432'));
    proxy.cut();
    try {
      const error = await open(proxy.via('postgres://postgres@127.0.0.1/test'), {
        timeoutMs: 1_000,
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await proxy.close();
    }
  });

  it('fences an audit batch that was given up: it cannot commit afterwards, and one that did is corrected', async () => {
    const schema = await createTestSchema();
    const store = await open(schema.url);
    try {
      await store.migrate();
      const late = auditBatchId();
      const early = auditBatchId();
      const unavailable = { status: 503, error: 'service_unavailable' };
      // Given up before its INSERT reached the database: the fence comes first.
      expect(await store.audit.amend?.([auditEntry(1)], unavailable, undefined, [late])).toBe(0);
      await expect(store.audit.append([auditEntry(1)], undefined, late)).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      // Committed before the instance could fence it: its row is made to say 503.
      await store.audit.append([auditEntry(2)], undefined, early);
      expect(await store.audit.amend?.([auditEntry(2)], unavailable, undefined, [early])).toBe(1);
      const rows = await store.audit.list({ limit: 10 });
      expect(rows.map((row) => [row.requestId, row.status, row.error])).toEqual([
        ['req-2', 503, 'service_unavailable'],
      ]);
    } finally {
      await store.close();
      await schema.drop();
    }
  });

  it("never lets a statement that failed on pg's own query time-out reach the server later", async () => {
    const schema = await createTestSchema();
    const proxy = await startTcpProxy(targetOf(schema.url));
    // pg gives up first (100 ms); the executor's own deadline is far away.
    const pool = new Pool({
      connectionString: proxy.via(schema.url),
      query_timeout: 100,
      max: 1,
      types: pgTypes(),
    });
    const db = new PgPoolExecutor(pool, 10_000);
    try {
      await adminQuery(`CREATE TABLE "${schema.name}".held (n INTEGER)`);
      await db.run(`INSERT INTO "${schema.name}".held VALUES (1)`);
      proxy.stall();
      await expect(db.run(`INSERT INTO "${schema.name}".held VALUES (2)`)).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      // The connection that held the INSERT is reset, not ended: the proxy lets it go.
      expect(await eventually(() => proxy.connections === 0)).toBe(true);
      proxy.restore();
      expect(proxy.deliveredAfterStalls).toBe(0);
      await db.run(`INSERT INTO "${schema.name}".held VALUES (3)`);
      const rows = await adminQuery<{ n: number }>(
        `SELECT n FROM "${schema.name}".held ORDER BY n`,
      );
      expect(rows.map((row) => row.n)).toEqual([1, 3]);
    } finally {
      await db.close();
      await proxy.close();
      await schema.drop();
    }
  });

  describe('behind a network that fails', () => {
    let schema: TestSchema;
    let proxy: TcpProxy;
    let store: Store;
    let other: Store;
    const logs = captureLogs('info');

    beforeAll(async () => {
      schema = await createTestSchema();
      proxy = await startTcpProxy(targetOf(schema.url));
      store = await open(proxy.via(schema.url), { timeoutMs: 500, logs });
      other = await open(schema.url);
      await other.migrate();
    });
    afterAll(async () => {
      await store.close();
      await other.close();
      await proxy.close();
      await schema.drop();
    });

    const lossLines = () =>
      logs
        .lines()
        .filter((line) => String(line.msg).startsWith('configuration change notifications lost'));
    const backLines = () =>
      logs
        .lines()
        .filter((line) =>
          String(line.msg).startsWith('configuration change notifications are back'),
        );

    it('fails operations with StoreUnavailableError within the time-out, then recovers', async () => {
      await store.ping();
      proxy.blackhole();
      const error = await store.ping().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      await expect(store.providers.list()).rejects.toBeInstanceOf(StoreUnavailableError);
      proxy.restore();
      expect(
        await eventually(() =>
          store.ping().then(
            () => true,
            () => false,
          ),
        ),
      ).toBe(true);
    });

    it('reports a change on every poll while its notification channel is down, and hears changes again once it is back', async () => {
      expect(await eventually(() => !store.changes.poll())).toBe(true);
      expect(store.changes.poll()).toBe(false);

      proxy.cut();
      expect(await eventually(() => store.changes.poll())).toBe(true);
      // Lost: every poll says "changed", so nothing is served from a cache that nobody updates.
      for (let i = 0; i < 5; i++) expect(store.changes.poll()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(store.changes.poll()).toBe(true);

      proxy.restore();
      expect(await eventually(() => !store.changes.poll())).toBe(true);
      await other.providers.add(provider('after-restore'), actor);
      expect(await eventually(() => store.changes.poll())).toBe(true);
      expect(store.changes.poll()).toBe(false);
      expect(lossLines().length).toBeGreaterThanOrEqual(1);
      expect(backLines().length).toBe(lossLines().length);
    });

    it('notices a channel that went silent through its heartbeat', async () => {
      expect(await eventually(() => !store.changes.poll())).toBe(true);
      const lossesBefore = lossLines().length;
      proxy.blackhole();
      expect(await eventually(() => store.changes.poll() && store.changes.poll())).toBe(true);
      expect(lossLines().length).toBe(lossesBefore + 1);
      proxy.restore();
      expect(await eventually(() => !store.changes.poll())).toBe(true);
    });
  });
});
