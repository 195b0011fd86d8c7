import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { SecretKey } from '../../src/secrets/secret-key.js';
import { isRefusedAddress } from '../../src/services/webhook-client.js';
import { BACKENDS, SQLITE } from '../helpers/backends.js';
import { bearer } from '../helpers/expect-http.js';
import { type FakeAnswer, FakeUpstream, type RecordedRequest } from '../helpers/fake-upstream.js';
import { TEST_ACTOR, TestService } from '../helpers/test-service.js';
import { type TestTls, testTls } from '../helpers/tls.js';

const VPS = '/v1/hosting/cloud/vps-custom';

/** Fast looks and fast retries, so that events arrive within a second or two. */
const FAST: Partial<Config> = {
  followActions: true,
  followPollMs: 50,
  followPollMaxMs: 200,
  followLeaseMs: 4_000,
  providerTimeoutMs: 1_500,
  followDeadlineMs: 5_000,
  rateLimitPerMinute: 10_000,
  webhooksDeliver: true,
  webhooksAllowPrivateAddresses: true,
  webhooksPollMs: 30,
  webhooksTimeoutMs: 1_000,
  webhooksLeaseMs: 3_000,
  webhooksRetryScheduleMs: [50, 100, 150],
};

interface EventBody {
  readonly type: string;
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

const header = (r: RecordedRequest, name: string): string => String(r.headers[name]);

/** Verifies a request as a receiver would, with the `standardwebhooks` package. */
const verified = (secret: string, r: RecordedRequest): EventBody =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': header(r, 'webhook-id'),
    'webhook-timestamp': header(r, 'webhook-timestamp'),
    'webhook-signature': header(r, 'webhook-signature'),
  }) as EventBody;

/** Waits (bounded) until `check` holds. */
const eventually = async <T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> => {
  for (let i = 0; i < 300; i++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await sleep(20);
  }
  throw new Error(`${what} did not happen`);
};

describe.each(BACKENDS)('webhooks on $name', (backend) => {
  const secretKey = backend === SQLITE ? null : SecretKey.fromBytes(randomBytes(32));
  let tls: TestTls;
  let service: TestService;
  let key: string;
  let answers: FakeAnswer[] = [];
  let receiver: FakeUpstream;

  beforeAll(async () => {
    tls = await testTls();
    receiver = await FakeUpstream.start(tls.server, () => answers.shift() ?? { status: 204 });
    service = await TestService.start({
      backend,
      config: { ...FAST, secretKey },
      webhookCa: [tls.caPem],
    });
    await service.addProvider('sim');
    await service.addVps('vps_1', 'cus_a');
    await service.addVps('vps_2', 'cus_b');
    key = (await service.createKey('cus_a')).key;
  });

  afterAll(async () => {
    await service.close();
    await receiver.close();
  });

  afterEach(async () => {
    for (const endpoint of await service.container.webhooks.list())
      await service.container.webhooks.remove(endpoint.id, TEST_ACTOR);
    receiver.requests.length = 0;
    answers = [];
  });

  const start = async (machine = 'vps_1', withKey = key): Promise<string> => {
    const res = await service.inject({
      method: 'POST',
      url: `${VPS}/${machine}/start`,
      headers: bearer(withKey),
    });
    expect(res.statusCode).toBe(200);
    return String(res.headers.location);
  };
  const addEndpoint = (path = '/hook', events?: string[]) =>
    service.container.webhooks.add(
      { customerId: 'cus_a', url: `${receiver.url}${path}`, ...(events ? { events } : {}) },
      TEST_ACTOR,
    );
  const received = (path: string) => receiver.requests.filter((r) => r.url === path);

  it('signs the requested and the ended event of an action, with the action resource as data', async () => {
    const { record, secret } = await addEndpoint('/all');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const location = await start();
    const requests = await eventually('both events', () => {
      const got = received('/all');
      return got.length >= 2 ? got : undefined;
    });
    const bodies = requests.map((r) => verified(secret, r));
    expect(bodies.map((b) => b.type)).toEqual(['power.action.requested', 'power.action.succeeded']);
    const read = await service.inject({ method: 'GET', url: location, headers: bearer(key) });
    const { success: _success, ...resource } = JSON.parse(read.body) as Record<string, unknown>;
    expect(bodies[1]?.data).toEqual(resource);
    expect(bodies[0]?.data).toEqual({
      ...resource,
      status: 'requested',
      finished_at: null,
      error: null,
    });
    for (const [i, body] of bodies.entries()) {
      expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
      expect(requests[i]?.headers['content-type']).toBe('application/json');
      expect(header(requests[i] as RecordedRequest, 'webhook-signature')).toMatch(
        /^v1,[A-Za-z0-9+/=]+$/,
      );
    }
    expect(new Set(requests.map((r) => header(r, 'webhook-id'))).size).toBe(2);
    // Nothing of the secret in listings or the operator log.
    const listed = JSON.stringify(await service.container.webhooks.list());
    const logged = JSON.stringify(await service.store.operatorLog.list(100));
    for (const text of [listed, logged]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(6, 20));
    }
    expect(logged).toContain(record.id);
  });

  it('sends only the subscribed types, and nothing for a customer without an endpoint', async () => {
    await addEndpoint('/ended', ['power.action.succeeded']);
    const other = (await service.createKey('cus_b')).key;
    await start('vps_2', other);
    await start();
    await eventually('the succeeded event', () => received('/ended').length >= 1);
    await service.container.deliverer?.settled();
    await sleep(300);
    const types = received('/ended').map((r) => (JSON.parse(r.body) as EventBody).type);
    expect(types).toEqual(['power.action.succeeded']);
    expect(receiver.requests.every((r) => r.url === '/ended')).toBe(true);
    // The request path knows which customers have endpoints: the others' batches queue nothing.
    await eventually('the set of customers with endpoints', async () => {
      await service.container.caches.prepare();
      return !service.container.caches.mayHaveWebhooks('cus_b');
    });
    expect(service.container.caches.mayHaveWebhooks('cus_a')).toBe(true);
  });

  it('retries a receiver that fails, with the same webhook-id, until it answers 2xx', async () => {
    const { record, secret } = await addEndpoint('/flaky', ['power.action.requested']);
    answers = [{ status: 500, body: 'x'.repeat(5_000) }, { status: 503 }, { status: 200 }];
    await start();
    const requests = await eventually('three attempts', () => {
      const got = received('/flaky');
      return got.length >= 3 ? got : undefined;
    });
    expect(new Set(requests.map((r) => header(r, 'webhook-id'))).size).toBe(1);
    for (const r of requests) verified(secret, r);
    const [delivery] = await eventually('the delivery recorded', async () => {
      const got = await service.container.webhooks.deliveries(record.id, 10);
      return got[0]?.status === 'delivered' ? got : undefined;
    });
    expect(delivery).toMatchObject({ attempts: 3, lastStatus: 200, nextAttemptAt: null });
    expect((await service.container.webhooks.get(record.id)).failingSince).toBeNull();
  });

  it('keeps only a short excerpt of what a receiver answered', async () => {
    const { record } = await addEndpoint('/long', ['power.action.requested']);
    answers = [{ status: 500, body: 'y'.repeat(10_000) }];
    await start();
    const [delivery] = await eventually('a failed attempt', async () => {
      const got = await service.container.webhooks.deliveries(record.id, 10);
      return got[0] !== undefined && got[0].attempts >= 1 ? got : undefined;
    });
    expect(delivery?.lastStatus).toBe(500);
    expect(delivery?.lastResponse?.length).toBe(256);
  });

  it('gives up after the last retry, and disables an endpoint that answers 410 Gone at once', async () => {
    const failing = await addEndpoint('/down', ['power.action.requested']);
    answers = Array.from({ length: 4 }, () => ({ status: 500 }));
    await start();
    const [failed] = await eventually('the delivery failing for good', async () => {
      const got = await service.container.webhooks.deliveries(failing.record.id, 10);
      return got[0]?.status === 'failed' ? got : undefined;
    });
    expect(failed).toMatchObject({ attempts: 4, lastStatus: 500, lastError: 'status_500' });
    expect(received('/down')).toHaveLength(4);
    await service.container.webhooks.remove(failing.record.id, TEST_ACTOR);

    const gone = await addEndpoint('/gone', ['power.action.requested']);
    answers = [{ status: 410 }];
    await start();
    await eventually('the endpoint disabled', async () => {
      const endpoint = await service.container.webhooks.get(gone.record.id);
      return !endpoint.enabled ? endpoint : undefined;
    });
    expect(await service.container.webhooks.get(gone.record.id)).toMatchObject({
      enabled: false,
      disabledReason: 'gone',
    });
    const events = await service.store.operatorLog.list(20);
    expect(events.find((e) => e.event === 'webhook.disable')).toMatchObject({
      actor: 'webhooks',
      subject: gone.record.id,
      detail: expect.objectContaining({ reason: 'gone' }) as unknown,
    });
    expect(received('/gone')).toHaveLength(1);
    // Re-enabled and redelivered by an operator, it is sent again with the same webhook-id.
    await service.container.webhooks.enable(gone.record.id, TEST_ACTOR);
    const [delivery] = await service.container.webhooks.deliveries(gone.record.id, 1);
    await service.container.webhooks.redeliver(`whd_${delivery?.id ?? 0}`, TEST_ACTOR);
    await eventually('the redelivery', () => received('/gone').length >= 2);
    const [first, second] = received('/gone');
    expect(header(second as RecordedRequest, 'webhook-id')).toBe(
      header(first as RecordedRequest, 'webhook-id'),
    );
  });

  it('signs with both secrets during a rotation overlap, and with the new one only after', async () => {
    const { record, secret: old } = await addEndpoint('/rotate', ['power.action.requested']);
    const rotated = await service.container.webhooks.rotateSecret(record.id, 3_600_000, TEST_ACTOR);
    await start();
    const [during] = await eventually('an event', () => {
      const got = received('/rotate');
      return got.length >= 1 ? got : undefined;
    });
    const signatures = header(during as RecordedRequest, 'webhook-signature').split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => s.startsWith('v1,'))).toBe(true);
    verified(old, during as RecordedRequest);
    verified(rotated.secret, during as RecordedRequest);

    const again = await service.container.webhooks.rotateSecret(record.id, 0, TEST_ACTOR);
    await start();
    const after = await eventually('a second event', () => received('/rotate')[1]);
    expect(header(after, 'webhook-signature').split(' ')).toHaveLength(1);
    verified(again.secret, after);
    expect(() => verified(rotated.secret, after)).toThrow();
  });

  it('sends a signed test event on request', async () => {
    const { record, secret } = await addEndpoint('/test');
    const outcome = await service.container.webhooks.test(record.id);
    expect(outcome).toMatchObject({ kind: 'answered', status: 204 });
    const [request] = received('/test');
    expect(verified(secret, request as RecordedRequest)).toMatchObject({
      type: 'webhook.test',
      data: { endpoint_id: record.id, customer_id: 'cus_a' },
    });
  });

  it('follows no redirect, gives up on a receiver that does not answer in time, and verifies TLS', async () => {
    const { record } = await addEndpoint('/odd');
    answers = [{ status: 302, headers: { location: `${receiver.url}/elsewhere` } }];
    expect(await service.container.webhooks.test(record.id)).toMatchObject({
      kind: 'answered',
      status: 302,
    });
    expect(receiver.requests.map((r) => r.url)).toEqual(['/odd']);
    answers = ['hang'];
    expect(await service.container.webhooks.test(record.id)).toEqual({
      kind: 'failed',
      error: 'timeout',
    });
    const untrusted = await FakeUpstream.start(tls.selfSigned, () => ({ status: 204 }));
    try {
      const other = await service.container.webhooks.add(
        { customerId: 'cus_a', url: `${untrusted.url}/hook` },
        TEST_ACTOR,
      );
      expect(await service.container.webhooks.test(other.record.id)).toEqual({
        kind: 'failed',
        error: 'tls',
      });
      expect(untrusted.requests).toHaveLength(0);
    } finally {
      await untrusted.close();
    }
  });

  it('delivers each attempt once with two instances on one store', async () => {
    await addEndpoint('/pair', ['power.action.requested']);
    const sibling = await service.sibling({ webhookCa: [tls.caPem] });
    try {
      const sent = 12;
      for (let i = 0; i < sent; i++) await start();
      const requests = await eventually('every event', () => {
        const got = received('/pair');
        return got.length >= sent ? got : undefined;
      });
      await service.container.deliverer?.settled();
      await sibling.container.deliverer?.settled();
      await sleep(200);
      const ids = received('/pair').map((r) => header(r, 'webhook-id'));
      expect(ids).toHaveLength(sent);
      expect(new Set(ids).size).toBe(sent);
      expect(requests.length).toBe(sent);
    } finally {
      await sibling.fastify.close();
      await sibling.container.close();
    }
  });
});

describe('refused webhook addresses', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '::1',
    '::ffff:127.0.0.1',
    'fd00:ec2::254',
    'fe80::1',
  ])('refuses %s', (address) => {
    expect(isRefusedAddress(address)).toBe(true);
  });
  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111'])('allows %s', (address) => {
    expect(isRefusedAddress(address)).toBe(false);
  });
});

describe('webhook destinations', () => {
  let tls: TestTls;
  let service: TestService;
  let receiver: FakeUpstream;

  beforeAll(async () => {
    tls = await testTls();
    receiver = await FakeUpstream.start(tls.server, () => ({ status: 204 }));
    service = await TestService.start({
      config: { ...FAST, webhooksAllowPrivateAddresses: false },
      webhookCa: [tls.caPem],
    });
  });

  afterAll(async () => {
    await service.close();
    await receiver.close();
  });

  it('refuses loopback, private and metadata addresses, by address and by name', async () => {
    for (const url of [
      receiver.url,
      `https://localhost:${receiver.port}`,
      'https://169.254.169.254/latest',
      'https://10.0.0.1',
      'https://[::1]:9',
    ]) {
      const { record } = await service.container.webhooks.add(
        { customerId: 'cus_a', url },
        TEST_ACTOR,
      );
      expect(await service.container.webhooks.test(record.id)).toEqual({
        kind: 'failed',
        error: 'refused_address',
      });
      await service.container.webhooks.remove(record.id, TEST_ACTOR);
    }
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses plain HTTP and URLs with credentials when an endpoint is added', async () => {
    for (const url of ['http://example.com/hook', 'https://user:pw@example.com/', 'not a url'])
      await expect(
        service.container.webhooks.add({ customerId: 'cus_a', url }, TEST_ACTOR),
      ).rejects.toThrow(/invalid webhook URL/);
  });
});

describe('webhooks over the admin API, failing endpoints and metrics', () => {
  let tls: TestTls;
  let service: TestService;
  let receiver: FakeUpstream;
  let key: string;
  let admin: Record<string, string>;

  beforeAll(async () => {
    tls = await testTls();
    receiver = await FakeUpstream.start(tls.server, (r) =>
      r.url === '/failing' ? { status: 500, body: 'nope' } : { status: 202 },
    );
    service = await TestService.start({
      config: {
        ...FAST,
        followActions: false,
        metricsPort: 0,
        webhooksDisableAfterMs: 1,
        webhooksRetryScheduleMs: [50, 50, 50, 50],
      },
      webhookCa: [tls.caPem],
    });
    await service.addProvider('sim');
    await service.addVps('vps_1', 'cus_a');
    key = (await service.createKey('cus_a')).key;
    admin = { authorization: `Bearer ${(await service.createAdminToken()).token}` };
  });

  afterAll(async () => {
    await service.close();
    await receiver.close();
  });

  const start = async () => {
    const res = await service.inject({
      method: 'POST',
      url: `${VPS}/vps_1/start`,
      headers: bearer(key),
    });
    expect(res.statusCode).toBe(200);
  };

  it('manages endpoints as the CLI does, the secret shown once', async () => {
    const created = await service.adminInject({
      method: 'POST',
      url: '/admin/v1/webhooks',
      headers: admin,
      payload: { customer_id: 'cus_a', url: `${receiver.url}/admin`, events: [] },
    });
    expect(created.statusCode).toBe(201);
    const endpoint = JSON.parse(created.body) as { id: string; secret: string; events: string };
    expect(endpoint.events).toBe('all');
    const listed = await service.adminInject({
      method: 'GET',
      url: '/admin/v1/webhooks?customer_id=cus_a',
      headers: admin,
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).toContain(endpoint.id);
    expect(listed.body).not.toContain(endpoint.secret);
    const tested = await service.adminInject({
      method: 'POST',
      url: `/admin/v1/webhooks/${endpoint.id}/test`,
      headers: admin,
    });
    expect(JSON.parse(tested.body)).toEqual({
      delivered: true,
      status: 202,
      error: null,
      response: '',
    });
    verified(endpoint.secret, receiver.requests.at(-1) as RecordedRequest);

    await start();
    await eventually(
      'a delivery',
      () => receiver.requests.filter((r) => r.url === '/admin').length >= 2,
    );
    const deliveries = await eventually('the delivery recorded', async () => {
      const res = await service.adminInject({
        method: 'GET',
        url: `/admin/v1/webhooks/${endpoint.id}/deliveries?limit=5`,
        headers: admin,
      });
      const rows = JSON.parse(res.body) as { id: string; status: string }[];
      return rows[0]?.status === 'delivered' ? rows : undefined;
    });
    const redelivered = await service.adminInject({
      method: 'POST',
      url: `/admin/v1/webhook-deliveries/${deliveries[0]?.id ?? ''}/redeliver`,
      headers: admin,
    });
    expect(JSON.parse(redelivered.body)).toMatchObject({ status: 'pending', attempts: 0 });
    const rotated = await service.adminInject({
      method: 'POST',
      url: `/admin/v1/webhooks/${endpoint.id}/rotate-secret`,
      headers: admin,
      payload: { overlap: '0' },
    });
    expect(rotated.statusCode).toBe(201);
    expect((JSON.parse(rotated.body) as { secret: string }).secret).not.toBe(endpoint.secret);
    const removed = await service.adminInject({
      method: 'DELETE',
      url: `/admin/v1/webhooks/${endpoint.id}`,
      headers: admin,
    });
    expect(removed.statusCode).toBe(200);
    const gone = await service.adminInject({
      method: 'GET',
      url: `/admin/v1/webhooks/${endpoint.id}`,
      headers: admin,
    });
    expect(gone.statusCode).toBe(404);
  });

  it('disables an endpoint that keeps failing past HEO_WEBHOOKS_DISABLE_AFTER, in the operator log', async () => {
    const { record } = await service.container.webhooks.add(
      { customerId: 'cus_a', url: `${receiver.url}/failing` },
      TEST_ACTOR,
    );
    await start();
    const disabled = await eventually('the endpoint disabled', async () => {
      const endpoint = await service.container.webhooks.get(record.id);
      return endpoint.enabled ? undefined : endpoint;
    });
    expect(disabled.disabledReason).toBe('failing');
    const [delivery] = await service.container.webhooks.deliveries(record.id, 1);
    expect(delivery).toMatchObject({ status: 'failed', nextAttemptAt: null, lastStatus: 500 });
    const event = (await service.store.operatorLog.list(50)).find(
      (e) => e.event === 'webhook.disable' && e.subject === record.id,
    );
    expect(event).toMatchObject({
      actor: 'webhooks',
      detail: expect.objectContaining({ reason: 'failing' }) as unknown,
    });
  });

  it('counts attempts by outcome, and shows the queue', async () => {
    await service.container.deliverer?.settled();
    const { parse, valueOf } = await import('../helpers/prometheus.js');
    const text = (await service.container.metrics?.exposition())?.text ?? '';
    const samples = parse(text);
    expect(
      valueOf(samples, 'heo_webhook_deliveries_total', { outcome: 'delivered' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(samples, 'heo_webhook_deliveries_total', { outcome: 'retrying' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'heo_webhook_deliveries_total', { outcome: 'failed' })).toBeDefined();
    const stats = await service.store.webhooks.stats();
    expect(valueOf(samples, 'heo_webhook_queue_depth', {})).toBe(stats.pending);
    expect(valueOf(samples, 'heo_webhook_oldest_pending_age_seconds', {})).toBeGreaterThanOrEqual(
      0,
    );
  });
});
