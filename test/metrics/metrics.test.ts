import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, DEFAULTS } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { withBadChecksum } from '../helpers/expect-http.js';
import { captureLogs } from '../helpers/log-capture.js';
import { parse, type Sample, valueOf } from '../helpers/prometheus.js';
import { rawRequest } from '../helpers/raw-http.js';
import { TEST_ACTOR } from '../helpers/test-service.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

const VPS_START = '/v1/hosting/cloud/vps-custom/:id/start';
const GAME_START = '/v1/hosting/game/power/:server_id/start';

const start = async (dir: TempDir, config: Partial<Config>): Promise<RunningServer> => {
  const server = await startServer(
    {
      ...DEFAULTS,
      logLevel: 'silent',
      databaseUrl: dir.file('heo-power.db'),
      port: 0,
      ...config,
    },
    { logger: captureLogs('silent').logger },
  );
  const { machines } = server.container;
  await machines.addProvider(
    { name: 'sim', type: 'simulator', settings: { transitionMs: 50 } },
    TEST_ACTOR,
  );
  for (const [type, id, customerId, ref] of [
    ['vps', 'vps_123', 'cus_a', 'vps_123'],
    ['game', 'srv_123', 'cus_a', 'srv_123'],
    ['vps', 'vps_456', 'cus_b', 'vps_456'],
    ['vps', 'vps_broken', 'cus_a', 'fail-vps_broken'],
  ] as const) {
    await machines.addResource({ type, id, customerId, provider: 'sim', ref }, TEST_ACTOR);
  }
  return server;
};

describe('Prometheus metrics', () => {
  const dirs = [tempDir(), tempDir()];
  let server: RunningServer;
  let other: RunningServer;
  const keys: { id: string; key: string }[] = [];

  const post = (path: string, key?: string, base = server.url) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
    });

  const scrape = async (target = server): Promise<{ text: string; samples: Sample[] }> => {
    const res = await fetch(`${target.metricsUrl ?? ''}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, samples: parse(text) };
  };

  beforeAll(async () => {
    const [first, second] = dirs as [TempDir, TempDir];
    server = await start(first, { metricsPort: 0, rateLimitPerMinute: 3 });
    other = await start(second, { metricsPort: 0 });
    for (const customer of ['cus_a', 'cus_a']) {
      const { record, plaintext } = await server.container.keys.create(
        { customerId: customer, scope: 'power' },
        TEST_ACTOR,
      );
      keys.push({ id: record.id, key: plaintext });
    }
    const [limited, spare] = keys.map((k) => k.key) as [string, string];

    const statuses = [
      (await post('/v1/hosting/cloud/vps-custom/vps_123/start', limited)).status,
      (await post('/v1/hosting/game/power/srv_123/start', limited)).status,
      (await post('/v1/hosting/cloud/vps-custom/vps_456/start', limited)).status,
      (await post('/v1/hosting/cloud/vps-custom/vps_123/start', limited)).status,
      (await post('/v1/hosting/cloud/vps-custom/vps_123/start')).status,
      (await post('/v1/hosting/cloud/vps-custom/vps_123/start', withBadChecksum(spare))).status,
      (await post('/v1/hosting/cloud/vps-custom/vps_broken/start', spare)).status,
      (await post(`/v1/nothing/vps_123/${spare}`)).status,
      (await fetch(`${server.url}/healthz`)).status,
      (
        await rawRequest(
          Number(new URL(server.url).port),
          'POST /v1/%E0%A4%A/start HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        )
      ).status,
    ];
    expect(statuses).toEqual([200, 200, 403, 429, 401, 401, 502, 404, 200, 400]);
  });

  afterAll(async () => {
    await server.close();
    await other.close();
    for (const dir of dirs) dir.remove();
  });

  it('count requests by route template, method, status, family and action', async () => {
    const { samples } = await scrape();
    const requests = (labels: Record<string, string>) =>
      valueOf(samples, 'heo_http_requests_total', labels);
    const vpsStart = { route: VPS_START, method: 'POST', family: 'vps', action: 'start' };
    expect({
      vps200: requests({ ...vpsStart, status: '200' }),
      game200: requests({
        route: GAME_START,
        method: 'POST',
        family: 'game',
        action: 'start',
        status: '200',
      }),
      vps401: requests({ ...vpsStart, status: '401' }),
      vps403: requests({ ...vpsStart, status: '403' }),
      vps429: requests({ ...vpsStart, status: '429' }),
      vps502: requests({ ...vpsStart, status: '502' }),
      unmatched: requests({ route: 'unmatched', method: 'POST', status: '404' }),
      malformed: requests({ route: 'unmatched', method: 'POST', status: '400' }),
      health: requests({ route: '/healthz', method: 'GET', status: '200' }),
    }).toEqual({
      vps200: 1,
      game200: 1,
      vps401: 2,
      vps403: 1,
      vps429: 1,
      vps502: 1,
      unmatched: 1,
      malformed: 1,
      health: 1,
    });
  });

  it('measure request latency in a histogram with the same labels', async () => {
    const { samples } = await scrape();
    const labels = { route: VPS_START, method: 'POST', family: 'vps', action: 'start' };
    expect(
      valueOf(samples, 'heo_http_request_duration_seconds_count', { ...labels, status: '401' }),
    ).toBe(2);
    expect(
      valueOf(samples, 'heo_http_request_duration_seconds_bucket', {
        ...labels,
        status: '401',
        le: '+Inf',
      }),
    ).toBe(2);
    const sum = valueOf(samples, 'heo_http_request_duration_seconds_sum', {
      ...labels,
      status: '200',
    });
    expect(sum).toBeGreaterThan(0);
  });

  it('count provider calls by provider, action and outcome, with their latency', async () => {
    const { samples } = await scrape();
    const accepted = { provider: 'sim', action: 'start', outcome: 'accepted' };
    const rejected = { provider: 'sim', action: 'start', outcome: 'rejected' };
    expect({
      accepted: valueOf(samples, 'heo_provider_calls_total', accepted),
      rejected: valueOf(samples, 'heo_provider_calls_total', rejected),
      acceptedTimed: valueOf(samples, 'heo_provider_call_duration_seconds_count', accepted),
      rejectedTimed: valueOf(samples, 'heo_provider_call_duration_seconds_count', rejected),
    }).toEqual({ accepted: 2, rejected: 1, acceptedTimed: 2, rejectedTimed: 1 });
  });

  it('count rate-limit rejections and authentication failures', async () => {
    const { samples } = await scrape();
    expect({
      vpsStart: valueOf(samples, 'heo_rate_limit_rejections_total', {
        family: 'vps',
        action: 'start',
      }),
      gameKill: valueOf(samples, 'heo_rate_limit_rejections_total', {
        family: 'game',
        action: 'kill',
      }),
      missing: valueOf(samples, 'heo_auth_failures_total', { reason: 'missing' }),
      invalid: valueOf(samples, 'heo_auth_failures_total', { reason: 'invalid' }),
    }).toEqual({ vpsStart: 1, gameKill: 0, missing: 1, invalid: 1 });
  });

  it('include the Node process metrics', async () => {
    const { samples } = await scrape();
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('never carry a key, customer or resource id, or a raw path', async () => {
    const { text, samples } = await scrape();
    for (const secret of [
      ...keys.flatMap((k) => [k.id, k.key, k.key.slice(0, 12)]),
      'cus_a',
      'cus_b',
      'vps_123',
      'srv_123',
      'vps_456',
      'vps_broken',
      'fail-',
      '/v1/nothing',
    ]) {
      expect(text).not.toContain(secret);
    }
    const routes = new Set(
      samples.flatMap((s) => (s.labels.route === undefined ? [] : [s.labels.route])),
    );
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[a-z0-9/_.:-]*)$/);
  });

  it('are served on their own port only, in a registry of their own', async () => {
    expect(server.metricsUrl).not.toBeNull();
    expect(new URL(server.metricsUrl ?? '').port).not.toBe(new URL(server.url).port);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.metricsUrl ?? ''}/other`)).status).toBe(404);
    const wrongMethod = await fetch(`${server.metricsUrl ?? ''}/metrics`, { method: 'POST' });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET, HEAD']);

    // Another app in the same process counts only its own requests.
    expect(
      (await post('/v1/hosting/cloud/vps-custom/vps_123/start', undefined, other.url)).status,
    ).toBe(401);
    const mine = await scrape();
    const theirs = await scrape(other);
    const missing = { reason: 'missing' };
    expect(valueOf(mine.samples, 'heo_auth_failures_total', missing)).toBe(1);
    expect(valueOf(theirs.samples, 'heo_auth_failures_total', missing)).toBe(1);
    expect(
      valueOf(theirs.samples, 'heo_http_requests_total', {
        route: VPS_START,
        method: 'POST',
        family: 'vps',
        action: 'start',
        status: '200',
      }),
    ).toBeUndefined();
    expect(globalRegistry.getMetricsAsArray()).toEqual([]);
  });
});

describe('metrics when HEO_METRICS_PORT is unset', () => {
  it('are off: nothing listens and nothing is counted', async () => {
    const dir = tempDir();
    const server = await startServer(
      { ...DEFAULTS, logLevel: 'silent', databaseUrl: dir.file('heo-power.db'), port: 0 },
      { logger: captureLogs('silent').logger },
    );
    try {
      expect(server.metricsUrl).toBeNull();
      expect(server.container.metrics).toBeNull();
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
