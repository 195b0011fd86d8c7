import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MachineState, PowerAction } from '../../src/domain/power.js';
import type { PowerProvider, PowerTarget } from '../../src/providers/provider.js';
import { PterodactylProvider } from '../../src/providers/pterodactyl/pterodactyl-provider.js';
import { FakePterodactyl, type ServerState } from '../helpers/fake-pterodactyl.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type TestTls, testTls } from '../helpers/tls.js';
import { PANEL_KEY, TEST_TIMEOUT_MS } from './worlds.js';

const UUID = '1a7ce997-259b-452e-8b4e-cecc464142ca';
const OTHER = '8d6f2b1e-0c4a-4a3b-9e2f-5d6c7b8a9f01';
const USER_KEY = `pacc_Us3rK3yAbCd${'u'.repeat(32)}`;
const logs = captureLogs('trace');
const context = { requestId: 'r1', logger: logs.logger };
const game = (ref: string): PowerTarget => ({ resourceType: 'game', resourceId: 'srv_1', ref });

describe('the Pterodactyl / Pelican adapter reads server state', () => {
  let tls: TestTls;
  let fake: FakePterodactyl;
  const clients: PowerProvider[] = [];
  const client = (key = PANEL_KEY, url = fake.url): PowerProvider => {
    const made = new PterodactylProvider({
      name: 'panel',
      http: { url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      apiKey: key,
    });
    clients.push(made);
    return made;
  };
  const read = async (ref = '1a7ce997', provider = client()) => {
    const outcome = await provider.state(game(ref), context);
    return outcome.read ? outcome.state : outcome.failure;
  };

  beforeAll(async () => {
    tls = await testTls();
    fake = await FakePterodactyl.start(tls.server, { readsPerStep: 2 });
    fake.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    fake.addKey(USER_KEY, { username: 'player', admin: false });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fake.close();
    expect(logs.text()).not.toContain(PANEL_KEY.slice(16));
  });
  beforeEach(() => {
    fake.upstream.clear();
    fake.intercept = undefined;
    fake.servers.length = 0;
    fake.addServer(UUID, 'player', 'offline');
    fake.addServer(OTHER, 'someone-else', 'running');
  });

  it('reads GET /api/client/servers/{id}/resources with the client key and JSON Accept', async () => {
    expect(await client().state(game(UUID), context)).toEqual({
      read: true,
      state: 'stopped',
      detail: 'current_state offline',
      uptimeMs: 0,
    });
    expect(
      fake.requests.map((r) => [r.method, r.url, r.headers.authorization, r.headers.accept]),
    ).toEqual([
      ['GET', `/api/client/servers/${UUID}/resources`, `Bearer ${PANEL_KEY}`, 'application/json'],
    ]);
  });

  it.each<[string, MachineState]>([
    ['running', 'running'],
    ['offline', 'stopped'],
    ['starting', 'starting'],
    ['stopping', 'stopping'],
    // What the panel answers when Wings reported no state.
    ['stopped', 'stopped'],
    ['hibernating', 'unknown'],
  ])('current_state %s is %s', async (current, state) => {
    fake.intercept = () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        object: 'stats',
        attributes: { current_state: current, is_suspended: false, resources: {} },
      }),
    });
    expect(await client().state(game('1a7ce997'), context)).toEqual({
      read: true,
      state,
      detail: `current_state ${current}`,
    });
  });

  it.each<[string, PowerAction, ServerState, MachineState[]]>([
    ['start', 'start', 'offline', ['starting', 'starting', 'running', 'running']],
    ['stop', 'stop', 'running', ['stopping', 'stopping', 'stopped', 'stopped']],
    [
      'restart of a running server',
      'restart',
      'running',
      ['stopping', 'stopping', 'stopped', 'stopped', 'starting', 'starting', 'running'],
    ],
    ['restart of a stopped server', 'restart', 'offline', ['starting', 'starting', 'running']],
    ['kill', 'kill', 'running', ['stopped', 'stopped']],
    ['start of a running server (ignored)', 'start', 'running', ['running', 'running']],
  ])(
    'the fake moves a server after a %s, two reads per state',
    async (_label, action, from, seen) => {
      const server = fake.servers[0];
      if (server !== undefined) server.state = from;
      const provider = client();
      expect(await provider.power(game('1a7ce997'), action, context)).toMatchObject({
        accepted: true,
      });
      const states: string[] = [];
      for (let i = 0; i < seen.length; i++) states.push(await read('1a7ce997', provider));
      expect(states).toEqual(seen);
    },
  );

  it('a stepMs fake moves by time instead of by reads', async () => {
    const timed = await FakePterodactyl.start(tls.server, { stepMs: 60_000 });
    timed.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    timed.addServer(UUID, 'player', 'offline');
    const provider = client(PANEL_KEY, timed.url);
    try {
      await provider.power(game(UUID), 'start', context);
      expect([await read(UUID, provider), await read(UUID, provider)]).toEqual([
        'starting',
        'starting',
      ]);
    } finally {
      await timed.close();
    }
  });

  it.each([
    [
      'a server the key cannot see (404)',
      USER_KEY,
      OTHER,
      (): void => undefined,
      'not_found',
      404,
      "resources: 404 NotFoundHttpException: The requested resource does not exist on this server.: no such server, or the key's account cannot see it (use an admin account's key)",
    ],
    [
      'a suspended server (409)',
      PANEL_KEY,
      UUID,
      (): void => {
        const server = fake.servers[0];
        if (server !== undefined) server.status = 'suspended';
      },
      'conflict',
      409,
      'resources: 409 ServerStateConflictException: This server is currently suspended and the functionality requested is unavailable.',
    ],
    [
      'a wrong key (401)',
      `ptlc_Zz9yY8xX7wW${'q'.repeat(32)}`,
      UUID,
      (): void => undefined,
      'auth',
      401,
      'resources: 401 AuthenticationException: Unauthenticated.: the API key was not accepted (wrong or deleted)',
    ],
  ] as const)(
    'reads %s as a failure value',
    async (_l, key, ref, arrange, failure, status, detail) => {
      arrange();
      expect(await client(key).state(game(ref), context)).toEqual({
        read: false,
        failure,
        upstreamStatus: status,
        detail,
      });
    },
  );

  it('a server still installing can be read', async () => {
    const server = fake.servers[0];
    if (server !== undefined) server.status = 'installing';
    expect(await read(UUID)).toBe('stopped');
  });

  it("honours the panel's throttle: 429 with Retry-After, after the minute's requests", async () => {
    const limited = await FakePterodactyl.start(tls.server, { limitPerMinute: 2 });
    limited.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    limited.addServer(UUID, 'player', 'running');
    const provider = client(PANEL_KEY, limited.url);
    try {
      expect(await read(UUID, provider)).toBe('running');
      expect(await read(UUID, provider)).toBe('running');
      const outcome = await provider.state(game(UUID), context);
      expect(outcome).toMatchObject({ read: false, failure: 'rate_limited', upstreamStatus: 429 });
      const wait = outcome.read ? 0 : (outcome.retryAfterMs ?? 0);
      expect(wait).toBeGreaterThanOrEqual(1_000);
      expect(wait).toBeLessThanOrEqual(60_000);
      expect(outcome.detail).toMatch(
        /^resources: 429 ThrottleRequestsException: Too Many Attempts\. \(retry after \d+ s\)$/,
      );
    } finally {
      await limited.close();
    }
  });

  it('a redirect (no JSON API there) is an upstream error', async () => {
    fake.intercept = () => ({ status: 302, headers: { location: `${fake.url}/auth/login` } });
    expect(await client().state(game(UUID), context)).toMatchObject({
      read: false,
      failure: 'upstream_error',
      upstreamStatus: 302,
    });
  });

  it('refuses an answer that is no stats object', async () => {
    fake.intercept = () => ({ status: 200, body: '<html>panel</html>' });
    expect(await client().state(game(UUID), context)).toMatchObject({
      read: false,
      failure: 'upstream_error',
      upstreamStatus: 200,
    });
  });

  it('never lets the key into a detail, even when the panel echoes it', async () => {
    fake.intercept = () => ({
      status: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        errors: [{ code: 'X', status: '500', detail: `bad key ${PANEL_KEY}` }],
      }),
    });
    const outcome = await client().state(game(UUID), context);
    expect(outcome).toEqual({
      read: false,
      failure: 'upstream_error',
      upstreamStatus: 500,
      detail: 'resources: 500 X: bad key [redacted]',
    });
  });

  it('refuses a reference that is no server identifier, without a call', async () => {
    expect(await read('not-a-server')).toBe('rejected');
    expect(fake.requests).toHaveLength(0);
  });
});
