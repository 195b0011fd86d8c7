import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, withBadChecksum } from '../helpers/expect-http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { BACKENDS } from '../helpers/backends.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

describe.each(BACKENDS)('on $name', (backend) => {
  describe('logs', () => {
    const logs = captureLogs('trace');
    let service: TestService;
    let key: string;

    beforeAll(async () => {
      service = await startWithCustomers({
        backend,
        logger: logs.logger,
        config: { logLevel: 'trace' },
      });
      await service.addVps('vps_broken', 'cus_a', 'sim', 'fail-1');
      key = (await service.createKey('cus_a')).key;
    });
    afterAll(() => service.close());

    it('carry a request id on every request line and never a key or an Authorization header', async () => {
      const calls = [
        { url: '/v1/hosting/cloud/vps-custom/vps_123/start', headers: bearer(key) },
        { url: `/v1/hosting/cloud/vps-custom/vps_123/start?api_key=${key}`, headers: bearer(key) },
        { url: '/v1/hosting/cloud/vps-custom/vps_broken/start', headers: bearer(key) },
        {
          url: '/v1/hosting/game/power/srv_123/start',
          headers: { authorization: `Bearer ${withBadChecksum(key)}` },
        },
        { url: `/v1/nothing/${key}`, headers: { authorization: `Basic ${key}` } },
      ];
      for (const call of calls) await service.inject({ method: 'POST', ...call });

      const text = logs.text();
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(4, 20));
      expect(text.toLowerCase()).not.toContain('bearer');
      const lines = logs.lines().filter((line) => line.msg === 'request completed');
      expect(lines).toHaveLength(calls.length);
      for (const line of lines) expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
      expect(
        logs
          .lines()
          .some(
            (line) =>
              line.msg === 'provider did not accept the action' && typeof line.reqId === 'string',
          ),
      ).toBe(true);
    });

    it('uses a well-formed X-Request-Id from the client and echoes it', async () => {
      const res = await service.inject({
        method: 'POST',
        url: '/v1/hosting/game/power/srv_123/start',
        headers: { ...bearer(key), 'x-request-id': 'client-trace-0001' },
      });
      expect(res.headers['x-request-id']).toBe('client-trace-0001');
      const odd = await service.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': 'no spaces allowed' },
      });
      expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
