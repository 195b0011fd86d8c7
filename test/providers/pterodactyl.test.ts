import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PowerAction } from '../../src/domain/power.js';
import type { PowerProvider } from '../../src/providers/provider.js';
import { PterodactylProvider } from '../../src/providers/pterodactyl/pterodactyl-provider.js';
import { ProxmoxProvider } from '../../src/providers/proxmox/proxmox-provider.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { FakePterodactyl, type FakeServer } from '../helpers/fake-pterodactyl.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type TestTls, testTls } from '../helpers/tls.js';
import { PANEL_KEY, PVE_SECRET, PVE_TOKEN_ID, TEST_TIMEOUT_MS } from './worlds.js';

const UUID = '1a7ce997-259b-452e-8b4e-cecc464142ca';
const OTHER = '8d6f2b1e-0c4a-4a3b-9e2f-5d6c7b8a9f01';
const USER_KEY = `pacc_Us3rK3yAbCd${'u'.repeat(32)}`;
const APP_KEY = `ptla_AppK3yAbCdE${'a'.repeat(32)}`;
const context = { requestId: 'r1', logger: captureLogs('silent').logger };

describe('the Pterodactyl / Pelican adapter, on the wire', () => {
  let tls: TestTls;
  let fake: FakePterodactyl;
  let server: FakeServer;
  const clients: PowerProvider[] = [];
  const client = (key = PANEL_KEY): PowerProvider => {
    const made = new PterodactylProvider({
      name: 'panel',
      http: { url: fake.url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      apiKey: key,
    });
    clients.push(made);
    return made;
  };
  const power = (ref: string, action: PowerAction, key?: string) =>
    client(key).power({ resourceType: 'game', resourceId: 'srv_1', ref }, action, context);

  beforeAll(async () => {
    tls = await testTls();
    fake = await FakePterodactyl.start(tls.server);
    fake.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    fake.addKey(USER_KEY, { username: 'player', admin: false });
    fake.applicationKeys.add(APP_KEY);
    fake.addServer(OTHER, 'someone-else', 'running');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fake.close();
  });
  beforeEach(() => {
    fake.upstream.clear();
    fake.intercept = undefined;
    fake.servers.splice(0, fake.servers.length, ...fake.servers.filter((s) => s.uuid !== UUID));
    server = fake.addServer(UUID, 'player', 'offline');
  });

  it.each(['start', 'stop', 'restart', 'kill'] as const)(
    '%s: POST …/power with the signal as JSON, Bearer key, JSON Accept',
    async (action) => {
      expect(await power('1a7ce997', action)).toEqual({
        accepted: true,
        taskRef: null,
        upstreamStatus: 204,
        alreadyInState: false,
        detail: null,
      });
      expect(fake.requests).toEqual([
        {
          method: 'POST',
          url: '/api/client/servers/1a7ce997/power',
          headers: expect.objectContaining({
            authorization: `Bearer ${PANEL_KEY}`,
            accept: 'application/json',
            'content-type': 'application/json',
          }) as unknown,
          body: `{"signal":"${action}"}`,
        },
      ]);
    },
  );

  it('addresses a server by its UUID too', async () => {
    expect(await power(UUID, 'start')).toMatchObject({ accepted: true });
    expect(fake.requests[0]?.url).toBe(`/api/client/servers/${UUID}/power`);
    expect(server.state).toBe('starting');
  });

  it.each([
    [
      'a suspended server (409)',
      (): void => {
        server.status = 'suspended';
      },
      PANEL_KEY,
      'suspended',
      409,
      'start: 409 ServerStateConflictException: This server is currently suspended and the functionality requested is unavailable.',
    ],
    [
      "a server the key's account cannot see (404, not 403)",
      (): void => undefined,
      USER_KEY,
      'not_found',
      404,
      "start: 404 NotFoundHttpException: The requested resource does not exist on this server.: no such server, or the key's account cannot see it (use an admin account's key)",
    ],
    [
      'an application key (403)',
      (): void => undefined,
      APP_KEY,
      'auth',
      403,
      'start: 403 AccessDeniedHttpException: You are attempting to use an application API key on an endpoint that requires a client API key.: the key may not do this (use a client key of an admin account, check its allowed IPs)',
    ],
    [
      'an unknown key (401)',
      (): void => undefined,
      `ptlc_Unkn0wnK3yX${'z'.repeat(32)}`,
      'auth',
      401,
      'start: 401 AuthenticationException: Unauthenticated.: the API key was not accepted (wrong or deleted)',
    ],
    [
      'a rate limit (429)',
      (): void => {
        fake.intercept = () => ({
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after': '17' },
          body: JSON.stringify(
            {
              errors: [
                { code: 'ThrottleRequestsException', status: '429', detail: 'Too Many Attempts.' },
              ],
            },
            null,
            4,
          ),
        });
      },
      PANEL_KEY,
      'rejected',
      429,
      'start: 429 ThrottleRequestsException: Too Many Attempts. (retry after 17 s)',
    ],
    [
      'a redirect to the login page',
      (): void => {
        fake.intercept = () => ({ status: 302, headers: { location: `${fake.url}/auth/login` } });
      },
      PANEL_KEY,
      'upstream_error',
      302,
      'REDIRECT',
    ],
  ] as const)('refuses %s', async (_label, arrange, key, failure, status, detail) => {
    const ref = key === USER_KEY ? OTHER.slice(0, 8) : '1a7ce997';
    arrange();
    const outcome = await power(ref, 'start', key);
    expect(outcome).toMatchObject({ accepted: false, failure, upstreamStatus: status });
    const text = outcome.accepted ? '' : outcome.detail;
    if (detail === 'REDIRECT')
      expect(text).toBe(
        `start: 302 redirect to ${fake.url}/auth/login: not the panel's client API (check --url), or the panel ignored Accept: application/json`,
      );
    else expect(text).toBe(detail);
    expect(text).not.toContain(key.slice(16));
    expect(fake.powerPosts()).toHaveLength(1);
  });

  it('probes GET /api/client/account and says whether the account is an admin', async () => {
    expect(await client().probe()).toEqual({
      ok: true,
      message: `the panel at ${fake.url} accepted the key of "heo-admin", an admin: it can power every server`,
    });
    expect(await client(USER_KEY).probe()).toMatchObject({
      ok: true,
      message: expect.stringContaining('which is not an admin') as unknown,
    });
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/client/account',
      'GET /api/client/account',
    ]);
    expect(await client(`ptlc_Unkn0wnK3yX${'z'.repeat(32)}`).probe()).toMatchObject({
      ok: false,
      failure: 'auth',
    });
  });
});

describe('probing an address that is not the expected API', () => {
  it('says so, for a panel URL that is a Proxmox node and the other way round', async () => {
    const tls = await testTls();
    const pve = await FakeProxmox.start(tls.server);
    const panel = await FakePterodactyl.start(tls.server);
    const http = (url: string) => ({
      url,
      caPem: tls.caPem,
      insecureTls: false,
      timeoutMs: TEST_TIMEOUT_MS,
    });
    const panelClient = new PterodactylProvider({
      name: 'p',
      http: http(pve.url),
      apiKey: PANEL_KEY,
    });
    const pveClient = new ProxmoxProvider({
      name: 'x',
      http: http(panel.url),
      token: { id: PVE_TOKEN_ID, secret: PVE_SECRET },
    });
    try {
      expect(await panelClient.probe()).toEqual({
        ok: false,
        failure: 'upstream_error',
        message: `unexpected answer from ${pve.url} (HTTP 501): is this a Pterodactyl or Pelican panel?`,
      });
      expect(await pveClient.probe()).toEqual({
        ok: false,
        failure: 'upstream_error',
        message: `unexpected answer from ${panel.url} (HTTP 404): is this the Proxmox VE API (usually port 8006)?`,
      });
    } finally {
      await panelClient.close();
      await pveClient.close();
      await pve.close();
      await panel.close();
    }
  });
});

describe('the fake panel refuses what the real one refuses', () => {
  let fake: FakePterodactyl;
  let agent: Agent;
  const post = async (headers: Record<string, string>, body: string) => {
    const res = await request(`${fake.url}/api/client/servers/1a7ce997/power`, {
      method: 'POST',
      headers,
      body,
      dispatcher: agent,
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  const json = { accept: 'application/json', 'content-type': 'application/json' };

  beforeAll(async () => {
    const tls = await testTls();
    agent = new Agent({ connect: { ca: tls.caPem } });
    fake = await FakePterodactyl.start(tls.server);
    fake.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    fake.addServer(UUID, 'player', 'offline');
  });
  afterAll(async () => {
    await agent.close();
    await fake.close();
  });

  it('answers a bad signal 422 with a pretty-printed validation error', async () => {
    const res = await post(
      { ...json, authorization: `Bearer ${PANEL_KEY}` },
      '{"signal":"reboot"}',
    );
    expect(res.status).toBe(422);
    expect(res.body).toBe(
      JSON.stringify(
        {
          errors: [
            {
              code: 'ValidationException',
              status: '422',
              detail: 'The selected signal is invalid.',
              meta: { source_field: 'signal', rule: 'in' },
            },
          ],
        },
        null,
        4,
      ),
    );
  });

  it('redirects to the login page when Accept lacks JSON', async () => {
    const res = await post({ 'content-type': 'application/json' }, '{"signal":"start"}');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${fake.url}/auth/login`);
  });

  it('answers malformed JSON 400', async () => {
    const res = await post({ ...json, authorization: `Bearer ${PANEL_KEY}` }, '{"signal":');
    expect(res.status).toBe(400);
    expect(res.body).toContain('The JSON data passed in the request appears to be malformed');
    expect(fake.servers[0]?.state).toBe('offline');
  });
});
