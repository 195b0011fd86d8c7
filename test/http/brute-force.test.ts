import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, POSTGRES_REDIS } from '../helpers/backends.js';
import { bearer, withBadChecksum } from '../helpers/expect-http.js';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture.js';
import { parse, valueOf } from '../helpers/prometheus.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const START = '/v1/hosting/cloud/vps-custom/vps_123/start';
const BUDGET = 3;
const ATTACKER = '203.0.113.7';
const NEIGHBOUR = '203.0.113.8';
const TOO_MANY = '{"success":false,"error":"rate_limited","message":"Too many requests"}';

const send = (service: TestService, key: string, from: string, headers = {}) =>
  service.inject({
    method: 'POST',
    url: START,
    headers: { ...bearer(key), ...headers },
    remoteAddress: from,
  });

const metric = async (service: TestService, name: string, labels = {}) => {
  const { text } = (await service.container.metrics?.exposition()) ?? { text: '' };
  return valueOf(parse(text), name, labels) ?? 0;
};

describe.each(BACKENDS)('the budget of failed authentications per address, on $name', (backend) => {
  let service: TestService;
  let logs: CapturedLogs;
  let key: string;

  beforeAll(async () => {
    logs = captureLogs('info');
    service = await startWithCustomers({
      backend,
      logger: logs.logger,
      config: { authFailuresPerMinute: BUDGET, metricsPort: 0, logLevel: 'info' },
    });
    ({ key } = await service.createKey('cus_a'));
  });
  afterAll(() => service.close());

  it('refuses an address that used it up, before looking at any key', async () => {
    const wrong = withBadChecksum(key);
    for (let i = 0; i < BUDGET; i++) {
      expect((await send(service, wrong, ATTACKER)).statusCode).toBe(401);
    }
    const failures = await metric(service, 'heo_auth_failures_total', { reason: 'invalid' });
    // Its next request is refused, whatever key it carries: even a good one is not looked at.
    for (const token of [wrong, key]) {
      const res = await send(service, token, ATTACKER);
      expect({ status: res.statusCode, body: res.body }).toEqual({ status: 429, body: TOO_MANY });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await metric(service, 'heo_auth_failures_total', { reason: 'invalid' })).toBe(failures);
    expect(await metric(service, 'heo_auth_address_refusals_total')).toBe(2);
    // Nothing is recorded for a request no key was checked for.
    expect(await service.store.audit.list({ limit: 10 })).toEqual([]);
    // Another address is not held back.
    expect((await send(service, key, NEIGHBOUR)).statusCode).toBe(200);
  });

  it('logs failures as one summary line per address, not one line per request', async () => {
    const before = logs.lines().length;
    for (let i = 0; i < 5; i++) await send(service, withBadChecksum(key), '198.51.100.9');
    const during = logs.lines().slice(before);
    expect(during.filter((line) => line.msg === 'request completed')).toEqual([]);
    service.container.failures?.summarise();
    const summaries = logs
      .lines()
      .slice(before)
      .filter(
        (line) =>
          String(line.msg).startsWith('authentication failures') &&
          line.clientIp === '198.51.100.9',
      );
    expect(
      summaries.map((line) => [line.level, line.msg, line.clientIp, line.failed, line.refused]),
    ).toEqual([
      ['warn', 'authentication failures: address refused', '198.51.100.9', BUDGET, 5 - BUDGET],
    ]);
    expect(logs.text()).not.toContain(key.slice(4, -1));
  });
});

describe.runIf(BACKENDS.includes(POSTGRES_REDIS))(
  'the budget of failed authentications, across instances',
  () => {
    let first: TestService;
    let second: TestService;
    let key: string;

    beforeAll(async () => {
      first = await startWithCustomers({
        backend: POSTGRES_REDIS,
        config: { authFailuresPerMinute: BUDGET },
      });
      second = await first.sibling();
      ({ key } = await first.createKey('cus_a'));
    });
    afterAll(async () => {
      await second.close();
      await first.close();
    });

    it('is counted once for every instance, through Redis', async () => {
      const wrong = withBadChecksum(key);
      expect((await send(first, wrong, ATTACKER)).statusCode).toBe(401);
      expect((await send(first, wrong, ATTACKER)).statusCode).toBe(401);
      // The third failure uses the budget up, though it reached the other instance.
      expect((await send(second, wrong, ATTACKER)).statusCode).toBe(401);
      expect((await send(second, key, ATTACKER)).statusCode).toBe(429);
      // The first instance learns it from the shared count on its next failure.
      expect((await send(first, wrong, ATTACKER)).statusCode).toBe(401);
      expect((await send(first, key, ATTACKER)).statusCode).toBe(429);
      expect((await send(second, key, NEIGHBOUR)).statusCode).toBe(200);
    });
  },
);

describe('the budget of failed authentications, turned off', () => {
  it('lets every failure through as a 401 when HEO_AUTH_FAILURES_PER_MINUTE is 0', async () => {
    const service = await startWithCustomers({ config: { authFailuresPerMinute: 0 } });
    try {
      const { key } = await service.createKey('cus_a');
      for (let i = 0; i < 20; i++) {
        expect((await send(service, withBadChecksum(key), ATTACKER)).statusCode).toBe(401);
      }
      expect((await send(service, key, ATTACKER)).statusCode).toBe(200);
      expect(service.container.failures).toBeNull();
    } finally {
      await service.close();
    }
  });
});
