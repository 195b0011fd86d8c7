import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { SecretKey } from '../../src/secrets/secret-key.js';
import { BACKENDS, SQLITE } from '../helpers/backends.js';
import { bearer } from '../helpers/expect-http.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { FakePterodactyl } from '../helpers/fake-pterodactyl.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { TEST_ACTOR, TestService } from '../helpers/test-service.js';
import { testTls } from '../helpers/tls.js';
import { PANEL_KEY, PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';
const SERVER_UUID = '1a7ce997-259b-452e-8b4e-cecc464142ca';
const ENDED = ['succeeded', 'failed', 'timed_out'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface ActionBody {
  readonly action_id: string;
  readonly status: string;
  readonly finished_at: string | null;
  readonly error: string | null;
}

/** Fast looks, so that tests see actions end in well under a second or two. */
const FOLLOWING: Partial<Config> = {
  followActions: true,
  followPollMs: 50,
  followPollMaxMs: 200,
  followLeaseMs: 4_000,
  providerTimeoutMs: 1_500,
  followDeadlineMs: 5_000,
  rateLimitPerMinute: 10_000,
  logLevel: (process.env.FOLLOW_LOG as Config['logLevel'] | undefined) ?? 'silent',
};

/**
 * The real service following actions through the fake Proxmox VE and the fake panel over HTTPS:
 * what the caller reads at the action's handle, and what the back-ends were asked.
 */
describe.each(BACKENDS)('following actions to their end on $name', (backend) => {
  const secretKey = backend === SQLITE ? null : SecretKey.fromBytes(randomBytes(32));
  let dir: TempDir;
  let pve: FakeProxmox;
  let panel: FakePterodactyl;
  let service: TestService;
  let key: string;

  const post = (url: string) => service.inject({ method: 'POST', url, headers: bearer(key) });
  const read = async (location: string, on = service): Promise<ActionBody> => {
    const res = await on.inject({ method: 'GET', url: location, headers: bearer(key) });
    expect(res.statusCode).toBe(200);
    return JSON.parse(res.body) as ActionBody;
  };
  /** Reads the action until it has ended; gives up (and fails) after a bounded number of reads. */
  const ended = async (location: string, on = service): Promise<ActionBody> => {
    for (let i = 0; i < 150; i++) {
      const body = await read(location, on);
      if (ENDED.includes(body.status)) return body;
      await sleep(50);
    }
    throw new Error(`${location} did not end`);
  };
  const started = async (url: string): Promise<string> => {
    const res = await post(url);
    expect(res.statusCode).toBe(200);
    return String(res.headers.location);
  };

  beforeAll(async () => {
    const tls = await testTls();
    pve = await FakeProxmox.start(tls.server, { taskPolls: 2 });
    pve.addToken(PVE_TOKEN_ID, PVE_SECRET);
    panel = await FakePterodactyl.start(tls.server);
    panel.addKey(PANEL_KEY, { username: 'heo-admin', admin: true });
    service = await TestService.start({ backend, config: { ...FOLLOWING, secretKey } });
    dir = tempDir();
    const caFile = dir.file('ca.pem');
    writeFileSync(caFile, tls.caPem);
    await service.registerProvider('pve', 'proxmox', {
      url: pve.url,
      token: `${PVE_TOKEN_ID}=${PVE_SECRET}`,
      caFile,
    });
    await service.registerProvider('panel', 'pterodactyl', {
      url: panel.url,
      token: PANEL_KEY,
      caFile,
    });
    await service.addProvider('sim');
    await service.addVps('vps_q', 'cus_a', 'pve', 'pve1/qemu/100');
    await service.addGame('srv_g', 'cus_a', 'panel', '1a7ce997');
    await service.addVps('vps_sim', 'cus_a', 'sim');
    key = (await service.createKey('cus_a')).key;
  });
  afterAll(async () => {
    await service.close();
    await pve.close();
    await panel.close();
    dir.remove();
  });
  /** The panel's one server is running already. */
  const running = () => {
    for (const server of panel.servers) server.state = 'running';
  };
  beforeEach(() => {
    pve.upstream.clear();
    panel.upstream.clear();
    pve.intercept = undefined;
    panel.intercept = undefined;
    pve.guests.length = 0;
    pve.addGuest('pve1', 'qemu', 100, 'stopped');
    panel.servers.length = 0;
    panel.addServer(SERVER_UUID, 'player', 'offline');
  });

  it('follows a Proxmox start through its task and the guest’s state to succeeded', async () => {
    const location = await started(`${VPS}/vps_q/start`);
    const body = await ended(location);
    expect(body).toMatchObject({ status: 'succeeded', error: null });
    expect(body.finished_at).toMatch(ISO);
    const [task] = pve.tasks.keys();
    const taskReads = pve.upstream.matching('GET', `/api2/json/nodes/pve1/tasks/`);
    // Running for two reads, then stopped with OK: three reads of the task, then the guest.
    expect(taskReads.map((r) => decodeURIComponent(r.url))).toEqual(
      Array.from({ length: 3 }, () => `/api2/json/nodes/pve1/tasks/${task}/status`),
    );
    expect(
      pve.upstream.matching('GET', '/api2/json/nodes/pve1/qemu/100/status/current'),
    ).not.toEqual([]);
    // Nothing more is asked once it has ended.
    const asked = pve.requests.length;
    await sleep(300);
    expect(pve.requests.length).toBe(asked);
  });

  it('ends failed with task_failed when the Proxmox task fails', async () => {
    pve.failNextTask('VM is locked (backup)');
    const body = await ended(await started(`${VPS}/vps_q/start`));
    expect(body).toMatchObject({ status: 'failed', error: 'task_failed' });
  });

  it('sees a panel restart leave running and come back before it calls it succeeded', async () => {
    running();
    const body = await ended(await started(`${GAME}/srv_g/restart`));
    expect(body).toMatchObject({ status: 'succeeded', error: null });
    const states = panel.upstream.matching('GET', '/api/client/servers/1a7ce997/resources').length;
    // running → stopping → offline → starting → running: one read each at least.
    expect(states).toBeGreaterThanOrEqual(4);
  });

  it('times out a restart whose server is only ever found running', async () => {
    running();
    panel.intercept = (request) =>
      request.url.endsWith('/resources')
        ? {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              object: 'stats',
              attributes: {
                current_state: 'running',
                is_suspended: false,
                resources: { uptime: 86_400_000 },
              },
            }),
          }
        : undefined;
    const body = await ended(await started(`${GAME}/srv_g/restart`));
    expect(body).toMatchObject({ status: 'timed_out', error: 'deadline_exceeded' });
  });

  it('waits out a panel’s 429 and Retry-After, then goes on', async () => {
    let limited = 0;
    const reads: number[] = [];
    panel.intercept = (request) => {
      if (request.url.endsWith('/resources')) reads.push(Date.now());
      if (!request.url.endsWith('/resources') || limited >= 1) return undefined;
      limited++;
      return {
        status: 429,
        headers: { 'content-type': 'application/json', 'retry-after': '1' },
        body: '{"errors":[{"code":"TooManyRequestsHttpException","status":"429","detail":"Too Many Attempts."}]}',
      };
    };
    const body = await ended(await started(`${GAME}/srv_g/start`));
    expect(body.status).toBe('succeeded');
    expect(limited).toBe(1);
    // The panel said to wait a second: nothing was asked of it before that.
    const [refused = 0, next = 0] = reads;
    expect(next - refused).toBeGreaterThanOrEqual(950);
  });

  it('times out with provider_unreachable when the back-end cannot be read until the deadline', async () => {
    const location = await started(`${VPS}/vps_q/start`);
    pve.intercept = (request) => (request.method === 'GET' ? 'reset' : undefined);
    const body = await ended(location);
    expect(body).toMatchObject({ status: 'timed_out', error: 'provider_unreachable' });
  });

  it('follows a simulated action through the simulator’s task', async () => {
    const body = await ended(await started(`${VPS}/vps_sim/start`));
    expect(body).toMatchObject({ status: 'succeeded', error: null });
  });

  it('ends failed with machine_removed when the machine leaves heo-power meanwhile', async () => {
    await service.addVps('vps_going', 'cus_a', 'pve', 'pve1/qemu/100');
    pve.intercept = (request) => (request.method === 'GET' ? 'hang' : undefined);
    const location = await started(`${VPS}/vps_going/start`);
    await service.container.machines.removeResource('vps', 'vps_going', TEST_ACTOR);
    pve.intercept = undefined;
    const row = async () =>
      (await service.store.actions.get('vps', 'vps_going', location.split('/').at(-1) ?? '')) ??
      null;
    for (let i = 0; i < 150 && (await row())?.finishedAt === null; i++) await sleep(50);
    expect(await row()).toMatchObject({ status: 'failed', error: 'machine_removed' });
  });

  it('shares the work between two instances: every action ends once, no task is read twice at a time', async () => {
    const sibling = await service.sibling();
    try {
      pve.intercept = (request) => {
        if (!request.url.includes('/tasks/')) return undefined;
        const saved = pve.intercept;
        pve.intercept = undefined;
        const answer = pve.answer(request);
        pve.intercept = saved;
        // Slow answers: a second instance looking at the same task meanwhile would overlap.
        return answer === 'hang' || answer === 'reset' ? answer : { ...answer, delayMs: 100 };
      };
      const ids = Array.from({ length: 6 }, (_, i) => `vps_shared_${i}`);
      for (const [i, id] of ids.entries()) {
        pve.addGuest('pve1', 'qemu', 200 + i, 'stopped');
        await service.addVps(id, 'cus_a', 'pve', `pve1/qemu/${200 + i}`);
      }
      key = (await service.createKey('cus_a')).key;
      const locations = await Promise.all(ids.map((id) => started(`${VPS}/${id}/start`)));
      const bodies = await Promise.all(
        locations.map((location, i) => ended(location, i % 2 === 0 ? service : sibling)),
      );
      expect(bodies.map((b) => b.status)).toEqual(ids.map(() => 'succeeded'));
      expect(pve.upstream.overlapping).toEqual([]);
    } finally {
      await sibling.close();
    }
  });
});
