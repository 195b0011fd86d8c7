import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../helpers/expect-http.js';
import { captureLogs, type CapturedLogs } from '../helpers/log-capture.js';
import { startWithCustomers, type TestService } from '../helpers/test-service.js';

const VPS = '/v1/hosting/cloud/vps-custom';

/**
 * A key sent where no key belongs (as the path id, percent-encoded in the URL, as the request
 * id) is a secret all the same: it is never stored, logged or echoed.
 */
describe('a key sent in the wrong place', () => {
  let service: TestService;
  let logs: CapturedLogs;
  let key: string;
  /** What a thief needs: the random part of the key, however it was written. */
  let secret: string;

  beforeAll(async () => {
    logs = captureLogs('info');
    service = await startWithCustomers({ logger: logs.logger });
    ({ key } = await service.createKey('cus_a'));
    secret = key.slice('heo_'.length);
  });
  afterAll(() => service.close());

  /** Every audit row and log line written so far, as text. */
  const everything = async () =>
    JSON.stringify(await service.store.audit.list({ limit: 1_000 })) + logs.text();

  it('as the path id: the row keeps no part of it', async () => {
    const res = await service.inject({
      method: 'POST',
      url: `${VPS}/${key}/start`,
      headers: bearer(key),
    });
    expect(res.statusCode).toBe(403);
    const [row] = await service.store.audit.list({ limit: 1 });
    expect(row?.resourceId).toBe('heo_[redacted]');
    expect(await everything()).not.toContain(secret);
  });

  it('percent-encoded in the URL: the log line keeps no part of it', async () => {
    for (const url of [
      `${VPS}/vps_123/start?note=heo%5F${secret}`,
      `/nowhere/heo%5f${secret}`,
      `${VPS}/heo%5F${secret}/stop`,
    ]) {
      const res = await service.inject({ method: 'POST', url, headers: bearer(key) });
      expect({ url, ok: res.statusCode < 500 }).toEqual({ url, ok: true });
    }
    expect(logs.lines().filter((line) => line.msg === 'request completed').length).toBeGreaterThan(
      2,
    );
    expect(await everything()).not.toContain(secret);
  });

  it('as X-Request-Id: a fresh id is used, and the key is neither echoed nor kept', async () => {
    for (const url of [`${VPS}/vps_123/start`, `${VPS}/vps_123/stop?x=1`, '/healthz']) {
      const res = await service.inject({
        method: url === '/healthz' ? 'GET' : 'POST',
        url,
        headers: { ...bearer(key), 'x-request-id': key },
      });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await everything()).not.toContain(secret);
  });

  it('still lets a harmless client request id through, so traces line up', async () => {
    const res = await service.inject({
      method: 'POST',
      url: `${VPS}/vps_123/start`,
      headers: { ...bearer(key), 'x-request-id': 'heo_deploy-42' },
    });
    expect(res.headers['x-request-id']).toBe('heo_deploy-42');
  });
});
