import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AuditDurability } from '../../src/store/sqlite/open-sqlite.js';
import { type Backend, POSTGRES_REDIS, SQLITE } from '../helpers/backends.js';
import { bearer, errorBody } from '../helpers/expect-http.js';
import { adminQuery, servicesAvailable } from '../helpers/services.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../helpers/tcp-proxy.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const UNAVAILABLE = errorBody(
  'service_unavailable',
  'Service temporarily unavailable, try again shortly',
);
/** A bound on waiting for an answer, many times the store time-out: never a measurement. */
const ANSWER_BOUND_MS = 15_000;

const within = <T>(work: Promise<T>, ms = ANSWER_BOUND_MS): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
};

const start = (service: TestService, key: string, requestId: string) =>
  service.inject({
    method: 'POST',
    url: `${VPS}/vps_123/start`,
    headers: { ...bearer(key), 'x-request-id': requestId },
  });

describe.each<AuditDurability>(['process-crash', 'power-loss'])(
  'SQLite (%s) locked by another process',
  (durability) => {
    it('a request is answered 503 once its deadline passes, not after the lock is let go', async () => {
      const service = await startWithCustomers({
        backend: SQLITE,
        config: { auditDurability: durability, storeTimeoutMs: 100 },
      });
      const { key } = await service.createKey('cus_a');
      // Keys and machines are cached: only the audit write needs the database. The first audit
      // write of a fresh file can outlast this test's 100 ms deadline on a busy disk: warm up
      // until one request gets through (a few tries, each answered 200 or 503).
      let warm = 0;
      for (let attempt = 0; attempt < 5 && warm !== 200; attempt++) {
        warm = (await start(service, key, 'warm')).statusCode;
      }
      expect(warm).toBe(200);
      const path = service.container.config.databaseUrl;
      const holder = new BetterSqlite3(path);
      try {
        // Another process's write transaction, held for as long as the test wants.
        holder.exec('BEGIN IMMEDIATE');
        const refused = await within(start(service, key, 'while-locked'));
        expect(refused.statusCode).toBe(503);
        expect(refused.body).toBe(UNAVAILABLE);
        expect(refused.headers['retry-after']).toBe('1');
      } finally {
        if (holder.inTransaction) holder.exec('ROLLBACK');
        holder.close();
      }
      expect((await start(service, key, 'after')).statusCode).toBe(200);
      await service.container.audit.flush();
      const rows = await service.store.audit.list({ limit: 10 });
      // A last attempt may have been on its way to the database when the request was answered:
      // if it committed once the lock was let go, its row was corrected to the 503 it got.
      expect(
        rows
          .filter((row) => !['while-locked', 'warm'].includes(row.requestId) || row.status !== 503)
          .map((row) => [row.requestId, row.status]),
      ).toEqual([
        ['after', 200],
        ['warm', 200],
      ]);
      await service.close();
    });
  },
);

describe.runIf(servicesAvailable('postgres', 'redis'))(
  'PostgreSQL behind a network that stalls',
  () => {
    it('an audit INSERT given up at its deadline never commits later: no row says 200 for a 503', async () => {
      let proxy: TcpProxy | undefined;
      let schema = '';
      const throughProxy: Backend = {
        name: 'PostgreSQL through a proxy',
        provision: async () => {
          const storage = await POSTGRES_REDIS.provision();
          const url = String(storage.config.databaseUrl);
          schema = new URL(url).searchParams.get('options')?.split('=')[1] ?? '';
          proxy = await startTcpProxy(targetOf(url));
          return { ...storage, config: { ...storage.config, databaseUrl: proxy.via(url) } };
        },
      };
      const service = await startWithCustomers({
        backend: throughProxy,
        config: { storeTimeoutMs: 300, rateLimitPerMinute: 10_000 },
      });
      try {
        const { key } = await service.createKey('cus_a');
        for (let i = 0; i < 2; i++) {
          expect((await start(service, key, `warm-${i}`)).statusCode).toBe(200);
        }
        // Requests served from the caches reach the provider; their audit INSERTs are held.
        proxy?.stall();
        const ids = Array.from({ length: 5 }, (_, i) => `stalled-${i}`);
        const answers = await within(Promise.all(ids.map((id) => start(service, key, id))));
        expect(
          answers.map((answer) => [answer.statusCode, answer.headers['retry-after'], answer.body]),
        ).toEqual(ids.map(() => [503, '1', UNAVAILABLE]));
        // The network comes back and delivers whatever it held.
        proxy?.restore();
        let last = 0;
        for (let attempt = 0; attempt < 50 && last !== 200; attempt++) {
          last = (await start(service, key, `after-${attempt}`)).statusCode;
        }
        expect(last).toBe(200);
        await service.container.audit.flush();
        const rows = await adminQuery<{ request_id: string; status: number }>(
          `SELECT request_id, status FROM "${schema}".audit_log WHERE request_id LIKE 'stalled-%'`,
        );
        expect(rows.filter((row) => row.status === 200)).toEqual([]);
      } finally {
        await service.close();
        await proxy?.close();
      }
    });
  },
);
