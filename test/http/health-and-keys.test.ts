import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, errorBody, expectError } from '../helpers/expect-http.js';
import { BACKENDS } from '../helpers/backends.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

describe.each(BACKENDS)('on $name', (backend) => {
  describe('health endpoints', () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startWithCustomers({ backend });
    });
    afterAll(() => service.close());

    it('/healthz and /readyz answer without a key', async () => {
      const health = await service.inject({ method: 'GET', url: '/healthz' });
      expect([health.statusCode, health.body]).toEqual([200, '{"status":"ok"}']);
      const ready = await service.inject({ method: 'GET', url: '/readyz' });
      expect([ready.statusCode, ready.body]).toEqual([200, '{"status":"ready"}']);
      expect((await service.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
    });

    it('refuse other methods with Allow: GET, HEAD', async () => {
      const res = await service.inject({ method: 'POST', url: '/readyz' });
      expectError(res, 405, 'method_not_allowed', 'Method not allowed');
      expect(res.headers.allow).toBe('GET, HEAD');
    });

    it('/readyz fails when the store cannot be reached, /healthz does not', async () => {
      const broken = await startWithCustomers({ backend });
      await broken.store.close();
      const ready = await broken.inject({ method: 'GET', url: '/readyz' });
      expect([ready.statusCode, ready.body]).toEqual([
        503,
        errorBody('service_unavailable', 'Service temporarily unavailable, try again shortly'),
      ]);
      expect(ready.headers['retry-after']).toBe('1');
      expect((await broken.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      await broken.close();
    });

    it('/readyz fails while the store answers reads but refuses every write', async () => {
      const readOnly = await startWithCustomers({ backend });
      try {
        const { key } = await readOnly.createKey('cus_a');
        await readOnly.breakAuditTable();
        // Reads still work (the key is found), but no audit record can be written.
        const power = await readOnly.inject({
          method: 'POST',
          url: '/v1/hosting/cloud/vps-custom/vps_123/start',
          headers: bearer(key),
        });
        expect(power.statusCode).toBe(500);
        const ready = await readOnly.inject({ method: 'GET', url: '/readyz' });
        expect([ready.statusCode, ready.body]).toEqual([
          503,
          errorBody('service_unavailable', 'Service temporarily unavailable, try again shortly'),
        ]);
        expect(ready.headers['retry-after']).toBe('1');
        expect((await readOnly.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await readOnly.close();
      }
    });

    it('a readiness check leaves nothing in the audit log', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await service.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      }
      expect(await service.store.audit.list({ limit: 10 })).toEqual([]);
    });
  });

  describe('key changes while the service runs', () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startWithCustomers({ backend });
    });
    afterAll(() => service.close());

    const start = (key: string) =>
      service.inject({
        method: 'POST',
        url: '/v1/hosting/game/power/srv_123/start',
        headers: bearer(key),
      });

    it('a revoked key is refused on the very next request, even after it was cached', async () => {
      const { id, key } = await service.createKey('cus_a');
      expect((await start(key)).statusCode).toBe(200);
      expect((await start(key)).statusCode).toBe(200);
      await service.revokeKey(id);
      expectError(await start(key), 401, 'unauthorized', 'Missing, invalid, or revoked API key');
    });

    it('a key created while running works at once', async () => {
      const other = await service.createKey('cus_b');
      expect((await start(other.key)).statusCode).toBe(403);
      const { key } = await service.createKey('cus_a');
      expect((await start(key)).statusCode).toBe(200);
    });

    it('records when a key was last used, in batches', async () => {
      const { id, key } = await service.createKey('cus_a');
      expect((await service.store.keys.get(id))?.lastUsedAt).toBeNull();
      const before = Date.now();
      await start(key);
      await service.container.authenticator.flushUsage();
      expect((await service.store.keys.get(id))?.lastUsedAt).toBeGreaterThanOrEqual(before);
    });
  });
});
