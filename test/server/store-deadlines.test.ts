import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AuditDurability } from '../../src/store/sqlite/open-sqlite.js';
import { SQLITE } from '../helpers/backends.js';
import { bearer, errorBody } from '../helpers/expect-http.js';
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
      // Keys and machines are cached: only the audit write needs the database.
      expect((await start(service, key, 'warm')).statusCode).toBe(200);
      const path = service.container.config.databaseUrl;
      const holder = new BetterSqlite3(path);
      try {
        // Another process's write transaction, held for as long as the test wants.
        holder.exec('BEGIN IMMEDIATE');
        const refused = await within(start(service, key, 'while-locked'));
        expect(refused.statusCode).toBe(503);
        expect(refused.body).toBe(UNAVAILABLE);
      } finally {
        if (holder.inTransaction) holder.exec('ROLLBACK');
        holder.close();
      }
      expect((await start(service, key, 'after')).statusCode).toBe(200);
      await service.close();
    });
  },
);
