import { types } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { captureLogs } from '../helpers/log-capture.js';
import {
  adminQuery,
  createTestSchema,
  servicesAvailable,
  type TestSchema,
} from '../helpers/services.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../helpers/tcp-proxy.js';
import { describeStoreContract } from './store-contract.js';

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
        expect(applied.flat()).toEqual([
          '0001-initial',
          '0002-key-allowlists',
          '0003-audit-indexes',
        ]);
        const history = await adminQuery<{ version: number }>(
          `SELECT version FROM "${schema.name}".heo_schema_migrations`,
        );
        expect(history).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
        for (const store of stores)
          expect(await store.migrationStatus()).toEqual({ current: 3, latest: 3, pending: [] });
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it('report a schema that has not been migrated', async () => {
      const store = await open(schema.url);
      try {
        expect(await store.migrationStatus()).toEqual({
          current: 0,
          latest: 3,
          pending: ['0001-initial', '0002-key-allowlists', '0003-audit-indexes'],
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
