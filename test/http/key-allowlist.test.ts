import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { bearer, withBadChecksum } from '../helpers/expect-http.js';
import { startWithCustomers, TEST_ACTOR, type TestService } from '../helpers/test-service.js';

const START = '/v1/hosting/cloud/vps-custom/vps_123/start';
const INVALID_KEY =
  '{"success":false,"error":"unauthorized","message":"Missing, invalid, or revoked API key"}';

const send = (service: TestService, key: string, from: string) =>
  service.inject({ method: 'POST', url: START, headers: bearer(key), remoteAddress: from });

/** What may differ between two answers: the request id and the date. */
const comparable = (res: Awaited<ReturnType<typeof send>>) => {
  const headers: Record<string, unknown> = { ...res.headers };
  delete headers['x-request-id'];
  delete headers.date;
  return { status: res.statusCode, headers, body: res.body };
};

describe.each(BACKENDS)('keys limited to client addresses, on $name', (backend) => {
  let service: TestService;

  beforeAll(async () => {
    service = await startWithCustomers({ backend });
  });
  afterAll(() => service.close());

  it('accept the key only from the listed addresses and networks, IPv4 and IPv6', async () => {
    const { key } = await service.createKey('cus_a', {
      allowedIps: ['192.0.2.0/24', '2001:db8::/32', '198.51.100.7'],
    });
    const from = ['192.0.2.44', '::ffff:192.0.2.45', '2001:db8:5::1', '198.51.100.7'];
    for (const address of from) {
      expect({ address, status: (await send(service, key, address)).statusCode }).toEqual({
        address,
        status: 200,
      });
    }
  });

  it('answer a request from elsewhere exactly as an invalid key, and record ip_not_allowed', async () => {
    const { id, key } = await service.createKey('cus_a', { allowedIps: ['192.0.2.0/24'] });
    const outside = await send(service, key, '203.0.113.9');
    const invalid = await send(service, withBadChecksum(key), '203.0.113.9');
    expect(comparable(outside)).toEqual(comparable(invalid));
    expect(outside.body).toBe(INVALID_KEY);
    const rows = await service.store.audit.list({ limit: 10, keyId: id });
    expect(rows.map((r) => [r.status, r.error, r.clientIp, r.resourceId])).toEqual([
      [401, 'ip_not_allowed', '203.0.113.9', 'vps_123'],
    ]);
    // A key tried from elsewhere was not used: its last use stays unset.
    await service.container.authenticator.flushUsage();
    expect((await service.store.keys.get(id))?.lastUsedAt).toBeNull();
    // Refused before the rate limit: a thief does not use up the owner's requests.
    const ok = await send(service, key, '192.0.2.1');
    await service.container.authenticator.flushUsage();
    expect((await service.store.keys.get(id))?.lastUsedAt).toEqual(expect.any(Number));
    expect(ok.headers['ratelimit-remaining']).toBe(
      String(service.container.config.rateLimitPerMinute - 1),
    );
  });

  it('are rotated with their allowlist: the old key works during the overlap, then not', async () => {
    const { id, key } = await service.createKey('cus_a', {
      allowedIps: ['192.0.2.0/24'],
      resources: [{ type: 'vps', id: 'vps_123' }],
      scope: 'power',
    });
    const kept = await service.container.keys.rotate(id, 24 * 3_600_000, TEST_ACTOR);
    expect(kept.created.record).toMatchObject({
      customerId: 'cus_a',
      scope: 'power',
      resources: [{ type: 'vps', id: 'vps_123' }],
      allowedIps: ['192.0.2.0/24'],
    });
    expect((await send(service, kept.created.plaintext, '192.0.2.9')).statusCode).toBe(200);
    expect((await send(service, kept.created.plaintext, '203.0.113.9')).statusCode).toBe(401);
    expect((await send(service, key, '192.0.2.9')).statusCode).toBe(200);
    // With no overlap, the old key stops at once; the new one goes on.
    const next = await service.container.keys.rotate(kept.created.record.id, 0, TEST_ACTOR);
    expect((await send(service, kept.created.plaintext, '192.0.2.9')).statusCode).toBe(401);
    expect((await send(service, next.created.plaintext, '192.0.2.9')).statusCode).toBe(200);
  });
});
