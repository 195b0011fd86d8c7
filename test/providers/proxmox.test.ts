import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PowerAction } from '../../src/domain/power.js';
import type { PowerOutcome } from '../../src/providers/provider.js';
import { ProxmoxProvider } from '../../src/providers/proxmox/proxmox-provider.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type TestTls, testTls } from '../helpers/tls.js';
import { PVE_SECRET, PVE_TOKEN_ID, TEST_TIMEOUT_MS } from './worlds.js';

const UPID = /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:[a-z]+:\d+:heo@pve!power:$/;
const AUTH = `PVEAPIToken=${PVE_TOKEN_ID}=${PVE_SECRET}`;
const context = { requestId: 'r1', logger: captureLogs('silent').logger };

describe('the Proxmox VE adapter, on the wire', () => {
  let tls: TestTls;
  let fake: FakeProxmox;
  let provider: ProxmoxProvider;
  const power = (ref: string, action: PowerAction): Promise<PowerOutcome> =>
    provider.power({ resourceType: 'vps', resourceId: 'vps_1', ref }, action, context);

  beforeAll(async () => {
    tls = await testTls();
    fake = await FakeProxmox.start(tls.server, { taskPolls: 2 });
    fake.addToken(PVE_TOKEN_ID, PVE_SECRET);
    provider = new ProxmoxProvider({
      name: 'pve',
      http: { url: fake.url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      token: { id: PVE_TOKEN_ID, secret: PVE_SECRET },
      pollIntervalMs: 10,
    });
  });
  afterAll(async () => {
    await provider.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.upstream.clear();
    fake.intercept = undefined;
    fake.guests.length = 0;
    fake.addGuest('pve1', 'qemu', 100, 'stopped');
    fake.addGuest('pve1', 'lxc', 101, 'running');
  });

  const sent = () =>
    fake.requests.map((r) => ({
      method: r.method,
      url: r.url,
      authorization: r.headers.authorization,
      contentType: r.headers['content-type'],
      body: r.body,
    }));

  it('start: a parameterless POST without a content type, answered with a UPID', async () => {
    const outcome = await power('pve1/qemu/100', 'start');
    expect(outcome).toMatchObject({ accepted: true, upstreamStatus: 200, alreadyInState: false });
    expect(outcome.accepted && outcome.taskRef).toMatch(UPID);
    expect(sent()).toEqual([
      {
        method: 'POST',
        url: '/api2/json/nodes/pve1/qemu/100/status/start',
        authorization: AUTH,
        contentType: undefined,
        body: '',
      },
    ]);
  });

  it('stop: shutdown with forceStop=1, form-encoded', async () => {
    const outcome = await power('pve1/lxc/101', 'stop');
    expect(outcome.accepted && outcome.taskRef).toMatch(/:vzshutdown:101:/);
    expect(sent()).toEqual([
      {
        method: 'POST',
        url: '/api2/json/nodes/pve1/lxc/101/status/shutdown',
        authorization: AUTH,
        contentType: 'application/x-www-form-urlencoded',
        body: 'forceStop=1',
      },
    ]);
    expect(fake.guest('pve1', 'lxc', 101)?.status).toBe('stopped');
  });

  it('QEMU reset: the reset endpoint', async () => {
    const guest = fake.guest('pve1', 'qemu', 100);
    if (guest) guest.status = 'running';
    const outcome = await power('pve1/qemu/100', 'reset');
    expect(outcome.accepted && outcome.taskRef).toMatch(/:qmreset:100:/);
    expect(sent().map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api2/json/nodes/pve1/qemu/100/status/reset',
    ]);
  });

  it('LXC reset: a hard stop, its task followed until it ends, then a start', async () => {
    const outcome = await power('pve1/lxc/101', 'reset');
    expect(outcome).toMatchObject({ accepted: true, upstreamStatus: 200 });
    const taskRef = outcome.accepted ? outcome.taskRef : null;
    expect(taskRef).toMatch(/:vzstart:101:/);
    const stopUpid = [...fake.tasks.keys()].find((upid) => upid.includes(':vzstop:'));
    expect(stopUpid).toMatch(UPID);
    const poll = `GET /api2/json/nodes/pve1/tasks/${encodeURIComponent(stopUpid ?? '')}/status`;
    expect(sent().map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api2/json/nodes/pve1/lxc/101/status/stop',
      poll,
      poll,
      poll,
      'POST /api2/json/nodes/pve1/lxc/101/status/start',
    ]);
    expect(outcome.accepted && outcome.detail).toBe(`stopped by ${stopUpid ?? ''}, then started`);
    expect(fake.guest('pve1', 'lxc', 101)?.status).toBe('running');
  });

  it('LXC reset: a failed stop task means no start is sent', async () => {
    fake.intercept = (r) =>
      r.url.includes('/tasks/')
        ? {
            status: 200,
            body: JSON.stringify({
              data: { status: 'stopped', exitstatus: 'CT is locked (backup)' },
            }),
          }
        : undefined;
    const outcome = await power('pve1/lxc/101', 'reset');
    expect(outcome).toMatchObject({ accepted: false, failure: 'upstream_error' });
    expect(outcome.accepted ? '' : outcome.detail).toMatch(
      /^reset: the stop task UPID:.* failed: CT is locked \(backup\); the container was not started again$/,
    );
    expect(fake.powerPosts().map((p) => p.split(' ')[1])).toEqual([
      '/api2/json/nodes/pve1/lxc/101/status/stop',
    ]);
  });

  it('LXC reset: a stop task that does not end within the timeout means no start', async () => {
    fake.intercept = (r) =>
      r.url.includes('/tasks/')
        ? { status: 200, body: JSON.stringify({ data: { status: 'running' } }) }
        : undefined;
    const outcome = await power('pve1/lxc/101', 'reset');
    expect(outcome).toMatchObject({ accepted: false, failure: 'timeout' });
    expect(fake.powerPosts()).toHaveLength(1);
  });

  it('LXC reset of a stopped container is refused like a QEMU one, and nothing is started', async () => {
    const guest = fake.guest('pve1', 'lxc', 101);
    if (guest) guest.status = 'stopped';
    const outcome = await power('pve1/lxc/101', 'reset');
    expect(outcome).toMatchObject({ accepted: false, failure: 'not_running', upstreamStatus: 500 });
    expect(outcome.accepted ? '' : outcome.detail).toBe(
      'reset (hard stop, then start): stop: 500 CT 101 not running',
    );
    expect(fake.powerPosts()).toHaveLength(1);
  });

  it('a container already running or already stopped is accepted, with what Proxmox said', async () => {
    expect(await power('pve1/lxc/101', 'start')).toEqual({
      accepted: true,
      taskRef: null,
      upstreamStatus: 500,
      alreadyInState: true,
      detail: 'CT 101 already running',
    });
    await power('pve1/lxc/101', 'stop');
    expect(await power('pve1/lxc/101', 'stop')).toMatchObject({
      accepted: true,
      alreadyInState: true,
      detail: 'CT 101 not running',
    });
  });

  it.each([
    [
      'a QEMU reset of a stopped VM',
      'pve1/qemu/100',
      'reset',
      'not_running',
      500,
      'reset: 500 VM 100 not running',
    ],
    [
      'a guest that is not on that node',
      'pve1/qemu/999',
      'start',
      'not_found',
      500,
      "start: 500 Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist",
    ],
  ] as const)('refuses %s', async (_label, ref, action, failure, status, detail) => {
    expect(await power(ref, action)).toEqual({
      accepted: false,
      failure,
      upstreamStatus: status,
      detail,
    });
  });

  it('explains a token without VM.PowerMgmt', async () => {
    const limited = new ProxmoxProvider({
      name: 'pve',
      http: { url: fake.url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      token: { id: 'audit@pve!ro', secret: '11111111-2222-4333-8444-555555555555' },
    });
    fake.addToken('audit@pve!ro', '11111111-2222-4333-8444-555555555555', false);
    try {
      const outcome = await limited.power(
        { resourceType: 'vps', resourceId: 'v', ref: 'pve1/qemu/100' },
        'start',
        context,
      );
      expect(outcome).toEqual({
        accepted: false,
        failure: 'auth',
        upstreamStatus: 403,
        detail:
          'start: 403 Permission check failed (/vms/100, VM.PowerMgmt): the token lacks a privilege (VM.PowerMgmt on the guest)',
      });
    } finally {
      await limited.close();
    }
  });

  it('reads the message from the reason phrase of servers older than PVE 8.3', async () => {
    const old = await FakeProxmox.start(tls.server, { omitMessage: true });
    old.addToken(PVE_TOKEN_ID, PVE_SECRET);
    old.addGuest('pve1', 'qemu', 100, 'stopped');
    const client = new ProxmoxProvider({
      name: 'old',
      http: { url: old.url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      token: { id: PVE_TOKEN_ID, secret: PVE_SECRET },
    });
    try {
      const outcome = await client.power(
        { resourceType: 'vps', resourceId: 'v', ref: 'pve1/qemu/100' },
        'reset',
        context,
      );
      expect(outcome).toMatchObject({ accepted: false, detail: 'reset: 500 VM 100 not running' });
    } finally {
      await client.close();
      await old.close();
    }
  });

  it('never lets the token into a detail, even when the upstream echoes it', async () => {
    fake.intercept = () => ({
      status: 500,
      reason: 'proxy error',
      body: JSON.stringify({ data: null, message: `bad header ${AUTH} for ${PVE_SECRET}\n` }),
    });
    const outcome = await power('pve1/qemu/100', 'start');
    const detail = outcome.accepted ? '' : outcome.detail;
    expect(detail).not.toContain(PVE_SECRET);
    expect(detail).toBe('start: 500 bad header PVEAPIToken=[redacted] for [redacted]');
  });

  it('probes with GET /version and counts the guests the token sees', async () => {
    expect(await provider.probe()).toEqual({
      ok: true,
      message: `Proxmox VE 8.2.4 at ${fake.url} accepted the token heo@pve!power; it sees 2 guests`,
    });
    expect(sent().map((r) => `${r.method} ${r.url} ${String(r.authorization)}`)).toEqual([
      `GET /api2/json/version ${AUTH}`,
      `GET /api2/json/cluster/resources?type=vm ${AUTH}`,
    ]);
  });
});

describe('the fake Proxmox VE refuses what the real one refuses', () => {
  let fake: FakeProxmox;
  let agent: Agent;
  const call = async (
    path: string,
    options: { body?: string; headers?: Record<string, string>; auth?: string | null } = {},
  ) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== null) headers.authorization = options.auth ?? AUTH;
    const res = await request(`${fake.url}${path}`, {
      method: 'POST',
      headers,
      body: options.body ?? null,
      dispatcher: agent,
    });
    return res;
  };

  beforeAll(async () => {
    const tls = await testTls();
    agent = new Agent({ connect: { ca: tls.caPem } });
    fake = await FakeProxmox.start(tls.server);
    fake.addToken(PVE_TOKEN_ID, PVE_SECRET);
    fake.addGuest('pve1', 'qemu', 100, 'stopped');
    fake.addGuest('pve1', 'lxc', 101, 'running');
  });
  afterAll(async () => {
    await agent.close();
    await fake.close();
  });

  it.each([
    [
      'an unknown parameter',
      '/api2/json/nodes/pve1/qemu/100/status/shutdown',
      {
        body: 'forceStop=1&force=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      400,
      'Parameter verification failed.',
      '{"data":null,"errors":{"force":"property is not defined in schema and the schema does not allow additional properties"},"message":"Parameter verification failed.\\n"}',
    ],
    [
      'a form boolean that is not 0 or 1',
      '/api2/json/nodes/pve1/qemu/100/status/shutdown',
      { body: 'forceStop=true', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      400,
      'Parameter verification failed.',
      `{"data":null,"errors":{"forceStop":"type check ('boolean') failed - got 'true'"},"message":"Parameter verification failed.\\n"}`,
    ],
    [
      'a JSON content type with an empty body',
      '/api2/json/nodes/pve1/qemu/100/status/start',
      { headers: { 'content-type': 'application/json' } },
      500,
      undefined,
      undefined,
    ],
    [
      'a missing token',
      '/api2/json/nodes/pve1/qemu/100/status/start',
      { auth: null },
      401,
      'No ticket',
      '',
    ],
    [
      'a wrong secret',
      '/api2/json/nodes/pve1/qemu/100/status/start',
      { auth: `PVEAPIToken=${PVE_TOKEN_ID}=00000000-0000-4000-8000-000000000000` },
      401,
      'Authentication failed!',
      '',
    ],
    [
      'a container reset',
      '/api2/json/nodes/pve1/lxc/101/status/reset',
      {},
      501,
      "Method 'POST /nodes/pve1/lxc/101/status/reset' not implemented",
      `{"data":null,"message":"Method 'POST /nodes/pve1/lxc/101/status/reset' not implemented\\n"}`,
    ],
  ] as const)('%s', async (_label, path, options, status, reason, body) => {
    const res = await call(path, options);
    expect(res.statusCode).toBe(status);
    if (reason !== undefined) expect(res.statusText).toBe(reason);
    const text = await res.body.text();
    if (body !== undefined) expect(text).toBe(body);
    expect(fake.guest('pve1', 'qemu', 100)?.status).toBe('stopped');
  });
});
