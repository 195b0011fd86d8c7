import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectError, expectProviderError } from '../helpers/expect-http.js';
import { BACKENDS } from '../helpers/backends.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';

describe.each(BACKENDS)('on $name', (backend) => {
  describe('order of checks: route, authentication, rate limit, access, scope, confirmation, provider', () => {
    let service: TestService;
    let power: string;
    let read: string;
    let limited: TestService;
    let limitedKey: string;

    beforeAll(async () => {
      service = await startWithCustomers({ backend });
      await service.addVps('vps_broken', 'cus_a', 'sim', 'fail-1');
      power = (await service.createKey('cus_a')).key;
      read = (await service.createKey('cus_a', { scope: 'read' })).key;
      limited = await startWithCustomers({ backend, config: { rateLimitPerMinute: 1 } });
      limitedKey = (await limited.createKey('cus_a', { scope: 'read' })).key;
    });
    afterAll(async () => {
      await service.close();
      await limited.close();
    });

    const post = (target: TestService, url: string, headers: Record<string, string> = {}) =>
      target.inject({ method: 'POST', url, headers });

    it('404 before 401: an unknown path without a key', async () => {
      expectError(
        await post(service, `${VPS}/vps_123/restart`),
        404,
        'not_found',
        'Endpoint not found',
      );
    });

    it('405 before 401: a wrong method without a key', async () => {
      const res = await service.inject({ method: 'DELETE', url: `${GAME}/srv_123/kill` });
      expectError(res, 405, 'method_not_allowed', 'Method not allowed');
    });

    it("401 before 403: no key on another customer's id", async () => {
      expectError(
        await post(service, `${VPS}/vps_456/start`),
        401,
        'unauthorized',
        'Missing, invalid, or revoked API key',
      );
    });

    it("429 before 403: over the limit on another customer's id, with a read key, without force", async () => {
      await post(limited, `${VPS}/vps_123/start`, bearer(limitedKey));
      expectError(
        await post(limited, `${VPS}/vps_456/reset`, bearer(limitedKey)),
        429,
        'rate_limited',
        'Too many requests',
      );
    });

    it("403 access before 403 scope: a read key on another customer's id", async () => {
      expectError(
        await post(service, `${GAME}/srv_456/kill`, bearer(read)),
        403,
        'forbidden',
        'You do not have access to this game server',
      );
    });

    it('403 scope before 400 confirmation: a read key on reset without force', async () => {
      expectError(
        await post(service, `${VPS}/vps_123/reset`, bearer(read)),
        403,
        'insufficient_scope',
        'This API key only has read scope',
      );
    });

    it('400 confirmation before the provider: reset without force on a failing provider', async () => {
      expectError(
        await post(service, `${VPS}/vps_broken/reset`, bearer(power)),
        400,
        'confirmation_required',
        'Reset requires force=true',
      );
      expectProviderError(
        await post(service, `${VPS}/vps_broken/reset?force=true`, bearer(power)),
        'provider_rejected',
      );
    });
  });

  describe('the audit log', () => {
    let service: TestService;
    let power: { id: string; key: string };

    beforeAll(async () => {
      service = await startWithCustomers({ backend, config: { rateLimitPerMinute: 6 } });
      await service.addVps('vps_broken', 'cus_a', 'sim', 'fail-1');
      power = await service.createKey('cus_a');
    });
    afterAll(() => service.close());

    const auditRows = () => service.store.audit.list({ limit: 100 });

    it('records every authenticated power request, accepted or refused, and nothing else', async () => {
      const calls: [string, Record<string, string>][] = [
        [`${VPS}/vps_123/start`, bearer(power.key)],
        [`${GAME}/srv_456/stop`, bearer(power.key)],
        [`${VPS}/vps_123/reset`, bearer(power.key)],
        [`${VPS}/vps_broken/stop`, bearer(power.key)],
        [`${VPS}/vps_123/start`, {}],
        [`${VPS}/vps_123/restart`, bearer(power.key)],
      ];
      for (const [url, headers] of calls)
        await service.inject({ method: 'POST', url, headers, remoteAddress: '192.0.2.7' });

      const rows = await auditRows();
      expect(rows.map((r) => [r.resourceType, r.resourceId, r.action, r.status, r.error])).toEqual([
        ['vps', 'vps_broken', 'stop', 502, 'provider_error'],
        ['vps', 'vps_123', 'reset', 400, 'confirmation_required'],
        ['game', 'srv_456', 'stop', 403, 'forbidden'],
        ['vps', 'vps_123', 'start', 200, null],
      ]);
      for (const row of rows) {
        expect(row).toMatchObject({ keyId: power.id, customerId: 'cus_a', clientIp: '192.0.2.7' });
        expect(row.requestId).toMatch(/^[0-9a-f-]{36}$/);
      }
      const [failed, , foreign, accepted] = rows;
      expect(accepted).toMatchObject({ provider: 'sim', upstreamStatus: 200 });
      expect(accepted?.taskRef).toMatch(/^SIM:sim:/);
      expect(failed).toMatchObject({ provider: 'sim', upstreamStatus: 500, taskRef: null });
      expect(failed?.upstreamDetail).toMatch(/^rejected: simulated refusal/);
      // Nothing about another customer's machine leaks into this customer's records.
      expect(foreign).toMatchObject({ provider: null, upstreamStatus: null, upstreamDetail: null });
    });

    it('records a 429', async () => {
      for (let i = 0; i < 3; i++)
        await service.inject({
          method: 'POST',
          url: `${VPS}/vps_123/stop`,
          headers: bearer(power.key),
        });
      const [latest] = await auditRows();
      expect(latest).toMatchObject({ status: 429, error: 'rate_limited', action: 'stop' });
    });

    it('holds the reply of an accepted request until its record is committed: no record, no 200', async () => {
      const fresh = await startWithCustomers({ backend });
      try {
        const { key } = await fresh.createKey('cus_a');
        const ok = await fresh.inject({
          method: 'POST',
          url: `${VPS}/vps_123/start`,
          headers: bearer(key),
        });
        expect(ok.statusCode).toBe(200);
        expect(await fresh.store.audit.list({ limit: 10 })).toHaveLength(1);

        // Make the next audit write fail: the action reaches the provider, but no 200 may leave.
        await fresh.breakAuditTable();
        const res = await fresh.inject({
          method: 'POST',
          url: `${GAME}/srv_123/start`,
          headers: bearer(key),
        });
        expectError(res, 500, 'internal_error', 'Internal server error');
      } finally {
        await fresh.close();
      }
    });
  });
});

describe('a database whose write lock another process holds', () => {
  it('keeps the server answering while a 200 waits for its audit record', async () => {
    const service = await startWithCustomers();
    const path = service.container.config.databaseUrl;
    const other = new BetterSqlite3(path);
    try {
      const { key } = await service.createKey('cus_a');
      other.exec('BEGIN IMMEDIATE');
      let answered = false;
      const power = service
        .inject({ method: 'POST', url: `${VPS}/vps_123/start`, headers: bearer(key) })
        .then((res) => {
          answered = true;
          return res;
        });
      // The event loop is free: other requests are answered while the audit write waits.
      for (let i = 0; i < 5; i++) {
        expect((await service.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      }
      expect(answered).toBe(false);
      other.exec('COMMIT');
      expect((await power).statusCode).toBe(200);
      expect((await service.store.audit.list({ limit: 5 })).map((r) => r.status)).toEqual([200]);
    } finally {
      other.close();
      await service.close();
    }
  });
});

describe('a refusal whose audit record cannot be written', () => {
  it('is answered all the same, and its log line carries the whole record', async () => {
    const logs = captureLogs('info');
    const service = await startWithCustomers({ logger: logs.logger });
    try {
      const { id, key } = await service.createKey('cus_a');
      // A real fault in the real store: the database refuses to record any 403.
      const db = new BetterSqlite3(service.container.config.databaseUrl);
      db.exec(`CREATE TRIGGER refuse_403 BEFORE INSERT ON audit_log WHEN NEW.status = 403
               BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
      db.close();
      const res = await service.inject({
        method: 'POST',
        url: '/v1/hosting/cloud/vps-custom/vps_456/start',
        headers: bearer(key),
      });
      expect({ status: res.statusCode, body: res.body }).toEqual({
        status: 403,
        body: '{"success":false,"error":"unauthorized","message":"You do not have access to this VPS"}',
      });
      const line = logs
        .lines()
        .find((l) => l.msg === 'could not record a refused request in the audit log');
      expect(line?.reqId).toBe(res.headers['x-request-id']);
      expect(line?.audit).toMatchObject({
        requestId: res.headers['x-request-id'],
        keyId: id,
        customerId: 'cus_a',
        resourceType: 'vps',
        resourceId: 'vps_456',
        action: 'start',
        status: 403,
        error: 'unauthorized',
      });
      expect(logs.text()).not.toContain(key.slice(4));
      expect(await service.store.audit.list({ limit: 10 })).toEqual([]);
    } finally {
      await service.close();
    }
  });
});
