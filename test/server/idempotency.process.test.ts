import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliJson } from '../helpers/cli.js';
import { FakeProxmox } from '../helpers/fake-proxmox.js';
import { startServeProcess } from '../helpers/serve-process.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { testTls } from '../helpers/tls.js';
import { PVE_SECRET, PVE_TOKEN_ID } from '../providers/worlds.js';

const URL_PATH = '/v1/hosting/cloud/vps-custom/vps_q/start';

/**
 * A retry reaches another instance after the one that served the first request was killed with
 * SIGKILL: the reply sent is replayed from the store (its outcome was committed before it left),
 * and a request killed mid-flight is never sent to the back-end a second time.
 */
describe.each(['process-crash', 'power-loss'])('Idempotency-Key across kill -9 (%s)', (mode) => {
  let dir: TempDir;
  let pve: FakeProxmox;
  let env: Record<string, string>;
  let key: string;

  beforeAll(async () => {
    const tls = await testTls();
    pve = await FakeProxmox.start(tls.server);
    pve.addToken(PVE_TOKEN_ID, PVE_SECRET);
    dir = tempDir();
    const caFile = dir.file('ca.pem');
    writeFileSync(caFile, tls.caPem);
    env = {
      DATABASE_URL: dir.file('idem.db'),
      HEO_AUDIT_DURABILITY: mode,
      // A short lease: provider time-out + 2 × store time-out + 1 s.
      HEO_PROVIDER_TIMEOUT_MS: '3000',
      HEO_STORE_TIMEOUT_MS: '200',
    };
    await runCliJson(
      [
        'providers',
        'add',
        'pve',
        '--type',
        'proxmox',
        '--url',
        pve.url,
        '--token',
        `${PVE_TOKEN_ID}=${PVE_SECRET}`,
        '--ca-file',
        caFile,
      ],
      env,
    );
    await runCliJson(
      ['vps', 'add', 'vps_q', '--customer', 'cus_1', '--provider', 'pve', '--ref', 'pve1/qemu/100'],
      env,
    );
    key = (await runCliJson<{ key: string }>(['keys', 'create', '--customer', 'cus_1'], env)).key;
  });
  afterAll(async () => {
    await pve.close();
    dir.remove();
  });
  beforeEach(() => {
    pve.upstream.clear();
    pve.intercept = undefined;
    pve.guests.length = 0;
    pve.addGuest('pve1', 'qemu', 100, 'stopped');
  });

  const send = (base: string, idem: string) =>
    fetch(`${base}${URL_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem },
    });

  it('replays the reply of a killed instance from another one', async () => {
    const first = await startServeProcess(env);
    let location: string | null;
    let body: string;
    try {
      const res = await send(first.url, '"after-kill"');
      expect(res.status).toBe(200);
      location = res.headers.get('location');
      body = await res.text();
    } finally {
      await first.stop('SIGKILL');
    }
    const second = await startServeProcess(env);
    try {
      const retry = await send(second.url, '"after-kill"');
      expect(retry.status).toBe(200);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.headers.get('location')).toBe(location);
      expect(await retry.text()).toBe(body);
    } finally {
      await second.stop();
    }
    expect(pve.powerPosts()).toHaveLength(1);
  });

  it('never calls the back-end again for a request killed mid-flight, and says so', async () => {
    pve.intercept = (request) => (request.method === 'POST' ? 'hang' : undefined);
    const first = await startServeProcess(env);
    try {
      const pending = send(first.url, '"mid-flight"').catch(() => null);
      for (let i = 0; i < 500 && pve.powerPosts().length === 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(pve.powerPosts()).toHaveLength(1);
      await first.stop('SIGKILL');
      await pending;
    } finally {
      await first.stop('SIGKILL');
    }
    pve.intercept = undefined;
    const second = await startServeProcess(env);
    try {
      const busy = await send(second.url, '"mid-flight"');
      expect(busy.status).toBe(409);
      const seen = [(await busy.json()) as { error: string }];
      // Bounded: the claim's lease (about 4.4 s here) ends, and the outcome is unknown.
      for (let i = 0; i < 100 && seen.at(-1)?.error === 'idempotency_key_in_use'; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const res = await send(second.url, '"mid-flight"');
        expect(res.status).toBe(409);
        seen.push((await res.json()) as { error: string });
      }
      expect(seen[0]?.error).toBe('idempotency_key_in_use');
      expect(seen.at(-1)).toEqual({
        success: false,
        error: 'idempotency_key_outcome_unknown',
        message:
          "The request with this Idempotency-Key did not complete and its outcome is unknown: check the machine's actions and state, and send a new request with a new key if needed",
      });
    } finally {
      await second.stop();
    }
    expect(pve.powerPosts()).toHaveLength(1);
  });
});
