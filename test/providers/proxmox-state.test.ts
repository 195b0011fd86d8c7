import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MachineState } from '../../src/domain/power.js';
import type { PowerTarget } from '../../src/providers/provider.js';
import { ProxmoxProvider } from '../../src/providers/proxmox/proxmox-provider.js';
import { FakeProxmox, type GuestStatus, type GuestType } from '../helpers/fake-proxmox.js';
import { captureLogs } from '../helpers/log-capture.js';
import { type TestTls, testTls } from '../helpers/tls.js';
import { PVE_SECRET, PVE_TOKEN_ID, TEST_TIMEOUT_MS } from './worlds.js';

const AUTH = `PVEAPIToken=${PVE_TOKEN_ID}=${PVE_SECRET}`;
const logs = captureLogs('trace');
const context = { requestId: 'r1', logger: logs.logger };
const vps = (ref: string): PowerTarget => ({ resourceType: 'vps', resourceId: 'vps_1', ref });

describe('the Proxmox VE adapter reads guest state and follows tasks', () => {
  let tls: TestTls;
  let fake: FakeProxmox;
  let provider: ProxmoxProvider;
  const build = (token = { id: PVE_TOKEN_ID, secret: PVE_SECRET }) =>
    new ProxmoxProvider({
      name: 'pve',
      http: { url: fake.url, caPem: tls.caPem, insecureTls: false, timeoutMs: TEST_TIMEOUT_MS },
      token,
    });

  beforeAll(async () => {
    tls = await testTls();
    fake = await FakeProxmox.start(tls.server, { taskPolls: 2 });
    fake.addToken(PVE_TOKEN_ID, PVE_SECRET);
    provider = build();
  });
  afterAll(async () => {
    await provider.close();
    await fake.close();
    expect(logs.text()).not.toContain(PVE_SECRET);
  });
  beforeEach(() => {
    fake.upstream.clear();
    fake.intercept = undefined;
    fake.guests.length = 0;
  });

  it('reads GET /nodes/{node}/{type}/{vmid}/status/current with the token', async () => {
    fake.addGuest('pve1', 'qemu', 100, 'running');
    expect(await provider.state(vps('pve1/qemu/100'), context)).toEqual({
      read: true,
      state: 'running',
      detail: 'status running, qmpstatus running',
      // `uptime` 3605 s: how long it has run, which tells a restart happened.
      uptimeMs: 3_605_000,
    });
    expect(fake.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['GET', '/api2/json/nodes/pve1/qemu/100/status/current', AUTH],
    ]);
  });

  it.each<[GuestType, GuestStatus, string | undefined, string | undefined, MachineState, string]>([
    ['qemu', 'stopped', undefined, undefined, 'stopped', 'status stopped'],
    ['qemu', 'running', 'running', undefined, 'running', 'status running, qmpstatus running'],
    ['qemu', 'running', 'paused', undefined, 'paused', 'status running, qmpstatus paused'],
    ['qemu', 'running', 'suspended', undefined, 'paused', 'status running, qmpstatus suspended'],
    ['qemu', 'running', 'debug', undefined, 'paused', 'status running, qmpstatus debug'],
    [
      'qemu',
      'running',
      'save-vm',
      'snapshot',
      'paused',
      'status running, qmpstatus save-vm, lock snapshot',
    ],
    [
      'qemu',
      'running',
      'finish-migrate',
      'migrate',
      'paused',
      'status running, qmpstatus finish-migrate, lock migrate',
    ],
    [
      'qemu',
      'running',
      'postmigrate',
      'migrate',
      'paused',
      'status running, qmpstatus postmigrate, lock migrate',
    ],
    ['qemu', 'running', 'prelaunch', undefined, 'starting', 'status running, qmpstatus prelaunch'],
    [
      'qemu',
      'running',
      'inmigrate',
      'migrate',
      'starting',
      'status running, qmpstatus inmigrate, lock migrate',
    ],
    [
      'qemu',
      'running',
      'restore-vm',
      undefined,
      'starting',
      'status running, qmpstatus restore-vm',
    ],
    ['qemu', 'running', 'shutdown', undefined, 'stopping', 'status running, qmpstatus shutdown'],
    ['qemu', 'running', 'io-error', undefined, 'unknown', 'status running, qmpstatus io-error'],
    [
      'qemu',
      'running',
      'internal-error',
      undefined,
      'unknown',
      'status running, qmpstatus internal-error',
    ],
    [
      'qemu',
      'running',
      'guest-panicked',
      undefined,
      'unknown',
      'status running, qmpstatus guest-panicked',
    ],
    ['qemu', 'running', 'watchdog', undefined, 'unknown', 'status running, qmpstatus watchdog'],
    ['qemu', 'stopped', undefined, 'suspended', 'stopped', 'status stopped, lock suspended'],
    ['lxc', 'running', undefined, undefined, 'running', 'status running'],
    ['lxc', 'stopped', undefined, undefined, 'stopped', 'status stopped'],
    ['lxc', 'running', undefined, 'backup', 'running', 'status running, lock backup'],
  ])('%s %s, qmpstatus %s, lock %s: %s', async (type, status, qmp, lock, state, detail) => {
    const guest = fake.addGuest('pve1', type, 100, status);
    if (qmp !== undefined) guest.qmpstatus = qmp;
    if (lock !== undefined) guest.lock = lock;
    expect(await provider.state(vps(`pve1/${type}/100`), context)).toEqual({
      read: true,
      state,
      detail,
      // A running guest tells its uptime; a stopped one has none to tell.
      ...(status === 'running' ? { uptimeMs: 3_605_000 } : {}),
    });
  });

  it.each<[string, unknown, MachineState, string]>([
    [
      'no qmpstatus: falls back to status',
      { status: 'running' },
      'running',
      'status running, qmpstatus running',
    ],
    ['a status never seen', { status: 'unknown' }, 'unknown', 'status unknown'],
  ])('%s', async (_label, data, state, detail) => {
    fake.intercept = () => ({ status: 200, body: JSON.stringify({ data }) });
    expect(await provider.state(vps('pve1/qemu/100'), context)).toEqual({
      read: true,
      state,
      detail,
    });
  });

  it('refuses an answer that is no guest status', async () => {
    fake.intercept = () => ({ status: 200, body: '{"data":null}' });
    expect(await provider.state(vps('pve1/qemu/100'), context)).toMatchObject({
      read: false,
      failure: 'upstream_error',
      upstreamStatus: 200,
    });
  });

  it('a start shows prelaunch (starting) while its task runs, then running', async () => {
    fake.addGuest('pve1', 'qemu', 100, 'stopped');
    const start = await provider.power(vps('pve1/qemu/100'), 'start', context);
    const upid = start.accepted ? (start.taskRef ?? '') : '';
    const look = async () => {
      const task = await provider.followTask(vps('pve1/qemu/100'), upid, context);
      const read = await provider.state(vps('pve1/qemu/100'), context);
      return [task, read.read ? read.state : read.failure];
    };
    expect(await look()).toEqual([{ read: true, done: false }, 'starting']);
    // The fake's task has answered its last `running` poll: it ends right after it.
    expect(await look()).toEqual([{ read: true, done: false }, 'running']);
    expect(await look()).toEqual([{ read: true, done: true, ok: true, detail: 'OK' }, 'running']);
    expect(fake.requests.at(-2)?.url).toBe(
      `/api2/json/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`,
    );
  });

  it('a container shutdown shows it running until its task ends', async () => {
    fake.addGuest('pve1', 'lxc', 101, 'running');
    const stop = await provider.power(vps('pve1/lxc/101'), 'stop', context);
    const upid = stop.accepted ? (stop.taskRef ?? '') : '';
    expect(await provider.state(vps('pve1/lxc/101'), context)).toMatchObject({ state: 'running' });
    await provider.followTask(vps('pve1/lxc/101'), upid, context);
    await provider.followTask(vps('pve1/lxc/101'), upid, context);
    expect(await provider.followTask(vps('pve1/lxc/101'), upid, context)).toMatchObject({
      done: true,
      ok: true,
    });
    expect(await provider.state(vps('pve1/lxc/101'), context)).toMatchObject({ state: 'stopped' });
  });

  it.each<[string, string, boolean]>([
    ['OK', 'OK', true],
    ['WARNINGS: 2', 'WARNINGS: 2', true],
    ['an error', 'VM 100 already running', false],
    ['a killed task', 'unexpected status', false],
  ])('a task that ends with %s', async (_label, exitstatus, ok) => {
    fake.intercept = (r) =>
      r.url.includes('/tasks/')
        ? {
            status: 200,
            body: JSON.stringify({ data: { status: 'stopped', exitstatus } }),
          }
        : undefined;
    const upid = 'UPID:pve1:0003A1B2:01C2D3E4:66F0A1B2:qmstart:100:heo@pve!power:';
    expect(await provider.followTask(vps('pve1/qemu/100'), upid, context)).toEqual({
      read: true,
      done: true,
      ok,
      detail: exitstatus,
    });
  });

  it('a QEMU start of a running VM: a task that runs, then fails', async () => {
    fake.addGuest('pve1', 'qemu', 100, 'running');
    const start = await provider.power(vps('pve1/qemu/100'), 'start', context);
    const upid = start.accepted ? (start.taskRef ?? '') : '';
    expect(await provider.followTask(vps('pve1/qemu/100'), upid, context)).toEqual({
      read: true,
      done: false,
    });
    await provider.followTask(vps('pve1/qemu/100'), upid, context);
    expect(await provider.followTask(vps('pve1/qemu/100'), upid, context)).toEqual({
      read: true,
      done: true,
      ok: false,
      detail: 'VM 100 already running',
    });
  });

  it.each([
    [
      'an unknown task',
      'UPID:pve1:0000AAAA:01C2D3E4:66F0A1B2:qmstart:100:heo@pve!power:',
      'not_found',
      400,
      'task UPID:pve1:0000AAAA:01C2D3E4:66F0A1B2:qmstart:100:heo@pve!power:: 400 Parameter verification failed. (upid: no such task)',
    ],
    [
      'what is not a task id',
      'SIM:x:1',
      'rejected',
      null,
      '"SIM:x:1" is not a Proxmox task id (UPID)',
    ],
  ] as const)('follows %s to a failure value', async (_label, upid, failure, status, detail) => {
    expect(await provider.followTask(vps('pve1/qemu/100'), upid, context)).toEqual({
      read: false,
      failure,
      upstreamStatus: status,
      detail,
    });
  });

  it.each([
    [
      'a guest that is not on that node',
      'pve1/qemu/999',
      'not_found',
      500,
      "status: 500 Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist",
    ],
    [
      'a node that does not exist',
      'pve9/lxc/101',
      'upstream_error',
      500,
      "status: 500 hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known",
    ],
  ] as const)('reads %s as a failure value', async (_label, ref, failure, status, detail) => {
    fake.addGuest('pve1', 'lxc', 101, 'running');
    expect(await provider.state(vps(ref), context)).toEqual({
      read: false,
      failure,
      upstreamStatus: status,
      detail,
    });
  });

  it('explains a token without VM.Audit, and a refused token', async () => {
    fake.addGuest('pve1', 'qemu', 100, 'running');
    fake.addToken('power@pve!only', '11111111-2222-4333-8444-555555555555', true, false);
    const limited = build({ id: 'power@pve!only', secret: '11111111-2222-4333-8444-555555555555' });
    const wrong = build({ id: PVE_TOKEN_ID, secret: '00000000-0000-4000-8000-000000000000' });
    try {
      expect(await limited.state(vps('pve1/qemu/100'), context)).toEqual({
        read: false,
        failure: 'auth',
        upstreamStatus: 403,
        detail:
          'status: 403 Permission check failed (/vms/100, VM.Audit): the token lacks a privilege (VM.Audit on the guest)',
      });
      expect(await wrong.state(vps('pve1/qemu/100'), context)).toEqual({
        read: false,
        failure: 'auth',
        upstreamStatus: 401,
        detail:
          'status: 401 Authentication failed!: the API token was not accepted (wrong, deleted or expired)',
      });
    } finally {
      await limited.close();
      await wrong.close();
    }
  });

  it.each([
    ['seconds', '120', 120_000],
    ['an HTTP date', new Date(Date.now() + 30_000).toUTCString(), 30_000],
  ])('honours a 429 with Retry-After in %s', async (_label, retryAfter, expected) => {
    fake.intercept = () => ({
      status: 429,
      headers: { 'retry-after': retryAfter },
      body: '<html>429 Too Many Requests</html>',
    });
    const read = await provider.state(vps('pve1/qemu/100'), context);
    expect(read).toMatchObject({ read: false, failure: 'rate_limited', upstreamStatus: 429 });
    const wait = read.read ? 0 : (read.retryAfterMs ?? 0);
    // An HTTP date has a resolution of a second.
    expect(wait).toBeGreaterThan(expected - 2_000);
    expect(wait).toBeLessThanOrEqual(expected);
    const task = await provider.followTask(
      vps('pve1/qemu/100'),
      'UPID:pve1:0003A1B2:01C2D3E4:66F0A1B2:qmstart:100:heo@pve!power:',
      context,
    );
    expect(task).toMatchObject({ read: false, failure: 'rate_limited', upstreamStatus: 429 });
  });

  it('a 429 without Retry-After is still a rate limit, with no wait given', async () => {
    fake.intercept = () => ({ status: 429, body: '' });
    const read = await provider.state(vps('pve1/qemu/100'), context);
    expect(read).toEqual({
      read: false,
      failure: 'rate_limited',
      upstreamStatus: 429,
      detail: 'status: 429 Too Many Requests: rate limited (by a proxy in front of Proxmox VE)',
    });
  });

  it('never lets the token into a detail, even when the upstream echoes it', async () => {
    fake.intercept = () => ({
      status: 500,
      reason: 'proxy error',
      body: JSON.stringify({ data: null, message: `bad header ${AUTH} for ${PVE_SECRET}\n` }),
    });
    const read = await provider.state(vps('pve1/qemu/100'), context);
    expect(read).toMatchObject({
      read: false,
      detail: 'status: 500 bad header PVEAPIToken=[redacted] for [redacted]',
    });
    const task = await provider.followTask(
      vps('pve1/qemu/100'),
      'UPID:pve1:0003A1B2:01C2D3E4:66F0A1B2:qmstart:100:heo@pve!power:',
      context,
    );
    expect(task.read ? '' : task.detail).not.toContain(PVE_SECRET);
    fake.intercept = () => ({
      status: 200,
      body: JSON.stringify({ data: { status: 'stopped', exitstatus: `echo ${PVE_SECRET}` } }),
    });
    expect(
      await provider.followTask(
        vps('pve1/qemu/100'),
        'UPID:pve1:0003A1B2:01C2D3E4:66F0A1B2:qmstart:100:heo@pve!power:',
        context,
      ),
    ).toEqual({ read: true, done: true, ok: false, detail: 'echo [redacted]' });
  });

  it('refuses a reference that is no guest, without a call', async () => {
    expect(await provider.state(vps('not-a-guest'), context)).toMatchObject({
      read: false,
      failure: 'rejected',
    });
    expect(fake.requests).toHaveLength(0);
  });
});
