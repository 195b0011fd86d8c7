import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretKey } from '../../src/secrets/secret-key.js';
import { BACKENDS, SQLITE } from '../helpers/backends.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { TestService } from '../helpers/test-service.js';
import { testTls } from '../helpers/tls.js';
import { PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const VPS = '/v1/hosting/cloud/vps-custom';

/**
 * An instance killed with `kill -9` while it follows an action: the action is left open in the
 * store, and the next instance on the same store takes it over once its lease runs out and sees it
 * to its end.
 */
describe.each(BACKENDS)('an instance dies while following an action, on $name', (backend) => {
  const secretKey = backend === SQLITE ? null : SecretKey.fromBytes(randomBytes(32));
  let dir: TempDir;
  let pve: FakeProxmox;
  let operator: TestService;
  let env: Record<string, string>;
  let key: string;
  const instances: ServeProcess[] = [];

  beforeAll(async () => {
    const tls = await testTls();
    // The task runs until the test lets it end.
    pve = await FakeProxmox.start(tls.server, { taskPolls: 1_000_000 });
    pve.addToken(PVE_TOKEN_ID, PVE_SECRET);
    pve.addGuest('pve1', 'qemu', 100, 'stopped');
    operator = await TestService.start({ backend, config: { secretKey } });
    dir = tempDir();
    const caFile = dir.file('ca.pem');
    writeFileSync(caFile, tls.caPem);
    await operator.registerProvider('pve', 'proxmox', {
      url: pve.url,
      token: `${PVE_TOKEN_ID}=${PVE_SECRET}`,
      caFile,
    });
    await operator.addVps('vps_q', 'cus_a', 'pve', 'pve1/qemu/100');
    key = (await operator.createKey('cus_a')).key;
    if (operator.storage === undefined) throw new Error('no storage');
    env = {
      ...operator.storage.env,
      ...(secretKey === null ? {} : { HEO_SECRET_KEY: secretKey.encode() }),
      HEO_FOLLOW_ACTIONS: 'true',
      HEO_FOLLOW_POLL_MS: '50',
      HEO_FOLLOW_POLL_MAX_MS: '200',
      HEO_FOLLOW_LEASE_MS: '2000',
      HEO_PROVIDER_TIMEOUT_MS: '500',
    };
  });
  afterAll(async () => {
    for (const instance of instances) await instance.stop('SIGKILL');
    await operator.close();
    await pve.close();
    dir.remove();
  });

  const serve = async (): Promise<ServeProcess> => {
    const instance = await startServeProcess(env);
    instances.push(instance);
    return instance;
  };

  it('the next instance takes the action over and sees it end', async () => {
    const first = await serve();
    const res = await fetch(`${first.url}${VPS}/vps_q/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    const location = res.headers.get('location') ?? '';
    const actionId = location.split('/').at(-1) ?? '';
    const taskReads = () => pve.upstream.matching('GET', '/api2/json/nodes/pve1/tasks/').length;
    for (let i = 0; i < 200 && taskReads() === 0; i++) await sleep(25);
    expect(taskReads()).toBeGreaterThan(0);

    await first.stop('SIGKILL');
    const open = await operator.store.actions.get('vps', 'vps_q', actionId);
    expect(open).toMatchObject({ finishedAt: null });
    expect(['requested', 'in_progress']).toContain(open?.status);

    // The task ends while no instance runs; the next one must find out.
    for (const task of pve.tasks.values()) task.pollsLeft = 0;
    const second = await serve();
    let body: { status?: string; error?: unknown } = {};
    for (let i = 0; i < 200; i++) {
      const read = await fetch(`${second.url}${location}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      body = (await read.json()) as typeof body;
      if (body.status === 'succeeded' || body.status === 'failed') break;
      await sleep(50);
    }
    expect(body).toMatchObject({ status: 'succeeded', error: null });
    const row = await operator.store.actions.get('vps', 'vps_q', actionId);
    expect(row).toMatchObject({ status: 'succeeded' });
  });
});
