import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, POSTGRES_REDIS } from '../helpers/backends.js';
import { bearer, expectError } from '../helpers/expect-http.js';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const BUDGET = 3;
const ATTACKER = '203.0.113.7';
const NEIGHBOUR = '203.0.113.8';
const WRONG = `heoadm_${'A'.repeat(40)}`;
const TOO_MANY = '{"success":false,"error":"rate_limited","message":"Too many requests"}';
const UNAUTHORIZED = 'Missing, invalid, or revoked admin token';

const call = (service: TestService, token: string | null, from: string, headers = {}) =>
  service.adminInject({
    method: 'GET',
    url: '/admin/v1/keys',
    headers: { ...(token === null ? {} : bearer(token)), ...headers },
    remoteAddress: from,
  });

const expectRefused = (res: Awaited<ReturnType<typeof call>>) => {
  expect({ status: res.statusCode, body: res.body }).toEqual({ status: 429, body: TOO_MANY });
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(res.headers['x-request-id']).toEqual(expect.any(String));
};

const CONFIG = { adminPort: 0, adminAuthFailuresPerMinute: BUDGET, logLevel: 'info' } as const;

describe.each(BACKENDS)('the budget of failed admin logins per address, on $name', (backend) => {
  let service: TestService;
  let logs: CapturedLogs;
  let admin: { token: string };

  beforeAll(async () => {
    logs = captureLogs('info');
    service = await startWithCustomers({ backend, logger: logs.logger, config: CONFIG });
    admin = await service.createAdminToken('billing');
  });
  afterAll(() => service.close());

  it('refuses an address that used it up with 429 and Retry-After, even with a good token', async () => {
    for (let i = 0; i < BUDGET; i++) {
      const token = i === 0 ? null : i === 1 ? 'heoadm_short' : WRONG;
      expectError(await call(service, token, ATTACKER), 401, 'unauthorized', UNAUTHORIZED);
    }
    expectRefused(await call(service, WRONG, ATTACKER));
    expectRefused(await call(service, admin.token, ATTACKER));
    // Another address is not held back, and the document needs no token, so is not refused.
    expect((await call(service, admin.token, NEIGHBOUR)).statusCode).toBe(200);
    const document = await service.adminInject({
      method: 'GET',
      url: '/admin/v1/openapi.json',
      remoteAddress: ATTACKER,
    });
    expect(document.statusCode).toBe(200);
  });

  it('is counted apart from the public API', async () => {
    const { key } = await service.createKey('cus_a');
    const res = await service.inject({
      method: 'POST',
      url: '/v1/hosting/cloud/vps-custom/vps_123/start',
      headers: bearer(key),
      remoteAddress: ATTACKER,
    });
    expect(res.statusCode).toBe(200);
  });

  it('logs one summary line per address, never the token', async () => {
    const before = logs.lines().length;
    for (let i = 0; i < 5; i++) await call(service, WRONG, '198.51.100.9');
    service.container.adminFailures?.summarise();
    const summaries = logs
      .lines()
      .slice(before)
      .filter((line) => line.clientIp === '198.51.100.9');
    expect(summaries.map((line) => [line.level, line.msg, line.failed, line.refused])).toEqual([
      ['warn', 'admin authentication failures: address refused', BUDGET, 5 - BUDGET],
    ]);
    expect(logs.text()).not.toContain(admin.token);
    expect(logs.text()).not.toContain(WRONG);
  });
});

describe('the budget of failed admin logins behind a proxy', () => {
  it('counts the address HEO_TRUST_PROXY names, not the proxy', async () => {
    const service = await startWithCustomers({ config: { ...CONFIG, trustProxy: true } });
    try {
      const { token } = await service.createAdminToken('billing');
      const proxied = (from: string, t: string) =>
        call(service, t, '10.0.0.1', { 'x-forwarded-for': from });
      for (let i = 0; i < BUDGET; i++)
        expect((await proxied(ATTACKER, WRONG)).statusCode).toBe(401);
      expectRefused(await proxied(ATTACKER, token));
      expect((await proxied(NEIGHBOUR, token)).statusCode).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe.runIf(BACKENDS.includes(POSTGRES_REDIS))(
  'the budget of failed admin logins, across instances',
  () => {
    let first: TestService;
    let second: TestService;
    let token: string;

    beforeAll(async () => {
      first = await startWithCustomers({ backend: POSTGRES_REDIS, config: CONFIG });
      second = await first.sibling();
      ({ token } = await first.createAdminToken('billing'));
    });
    afterAll(async () => {
      await second.close();
      await first.close();
    });

    it('is counted once for every instance, through Redis', async () => {
      expect((await call(first, WRONG, ATTACKER)).statusCode).toBe(401);
      expect((await call(first, WRONG, ATTACKER)).statusCode).toBe(401);
      // The third failure uses the budget up, though it reached the other instance.
      expect((await call(second, WRONG, ATTACKER)).statusCode).toBe(401);
      expectRefused(await call(second, token, ATTACKER));
      // The first instance learns it from the shared count on its next failure.
      expect((await call(first, WRONG, ATTACKER)).statusCode).toBe(401);
      expectRefused(await call(first, token, ATTACKER));
      expect((await call(second, token, NEIGHBOUR)).statusCode).toBe(200);
    });
  },
);

describe('the budget of failed admin logins, turned off', () => {
  it('lets every failure through as a 401 when HEO_ADMIN_AUTH_FAILURES_PER_MINUTE is 0', async () => {
    const service = await startWithCustomers({
      config: { adminPort: 0, adminAuthFailuresPerMinute: 0 },
    });
    try {
      const { token } = await service.createAdminToken('billing');
      for (let i = 0; i < 20; i++)
        expect((await call(service, WRONG, ATTACKER)).statusCode).toBe(401);
      expect((await call(service, token, ATTACKER)).statusCode).toBe(200);
      expect(service.container.adminFailures).toBeNull();
    } finally {
      await service.close();
    }
  });
});
