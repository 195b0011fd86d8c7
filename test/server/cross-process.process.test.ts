import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson } from '../helpers/cli.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

/**
 * The server and the CLI as an operator runs them: separate processes on one SQLite file.
 */
describe('serve and the CLI in separate processes', () => {
  let dir: TempDir;
  let env: Record<string, string>;
  let server: ServeProcess;
  const keys: string[] = [];

  const start = (key: string, id = 'vps_1') =>
    fetch(`${server.url}/v1/hosting/cloud/vps-custom/${id}/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });

  beforeAll(async () => {
    dir = tempDir();
    env = { DATABASE_URL: dir.file('shared.db') };
    await runCliJson(['providers', 'add', 'sim', '--type', 'simulator'], env);
    await runCliJson(['vps', 'add', 'vps_1', '--customer', 'cus_1', '--provider', 'sim'], env);
    server = await startServeProcess(env);
  });
  afterAll(async () => {
    // Absent when beforeAll failed.
    await (server as ServeProcess | undefined)?.stop('SIGKILL');
    dir.remove();
  });

  it('a key created by the CLI while the server runs works at once', async () => {
    const { key } = await runCliJson<{ key: string }>(
      ['keys', 'create', '--customer', 'cus_1'],
      env,
    );
    keys.push(key);
    expect((await start(key)).status).toBe(200);
  });

  it('a key revoked by the CLI is refused on the very next request', async () => {
    const { id, key } = await runCliJson<{ id: string; key: string }>(
      ['keys', 'create', '--customer', 'cus_1'],
      env,
    );
    keys.push(key);
    expect((await start(key)).status).toBe(200);
    expect((await start(key)).status).toBe(200);
    expect((await runCli(['keys', 'revoke', id], env)).code).toBe(0);
    const refused = await start(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      success: false,
      error: 'unauthorized',
      message: 'Missing, invalid, or revoked API key',
    });
  });

  it('a machine added by the CLI while the server runs can be powered at once', async () => {
    const { key } = await runCliJson<{ key: string }>(
      ['keys', 'create', '--customer', 'cus_1'],
      env,
    );
    keys.push(key);
    expect((await start(key, 'vps_2')).status).toBe(403);
    await runCliJson(['vps', 'add', 'vps_2', '--customer', 'cus_1', '--provider', 'sim'], env);
    expect((await start(key, 'vps_2')).status).toBe(200);
  });

  it('the audit log written by the server is read by the CLI', async () => {
    const records = await runCliJson<{ status: number; resource_id: string }[]>(
      ['audit', '--limit', '3'],
      env,
    );
    expect(records.map((r) => [r.resource_id, r.status])).toEqual([
      ['vps_2', 200],
      ['vps_2', 403],
      ['vps_1', 200],
    ]);
  });

  it('a VPS moved by the CLI: the old customer gets the unknown-id 403 on the very next request, the new one reaches it', async () => {
    await runCliJson(['vps', 'add', 'vps_3', '--customer', 'cus_1', '--provider', 'sim'], env);
    const old = await runCliJson<{ key: string }>(['keys', 'create', '--customer', 'cus_1'], env);
    const scoped = await runCliJson<{ key: string }>(
      ['keys', 'create', '--customer', 'cus_1', '--vps', 'vps_3'],
      env,
    );
    const next = await runCliJson<{ key: string }>(['keys', 'create', '--customer', 'cus_2'], env);
    keys.push(old.key, scoped.key, next.key);
    expect((await start(old.key, 'vps_3')).status).toBe(200);
    expect((await start(scoped.key, 'vps_3')).status).toBe(200);
    expect((await start(next.key, 'vps_3')).status).toBe(403);
    await runCliJson(['vps', 'move', 'vps_3', '--customer', 'cus_2'], env);
    for (const key of [old.key, scoped.key]) {
      const refused = await start(key, 'vps_3');
      const unknown = await start(key, 'vps_nope');
      expect([refused.status, await refused.text()]).toEqual([403, await unknown.text()]);
    }
    expect((await start(next.key, 'vps_3')).status).toBe(200);

    await runCliJson(['vps', 'remove', 'vps_3'], env);
    const removed = await start(next.key, 'vps_3');
    const unknown = await start(next.key, 'vps_nope');
    expect([removed.status, await removed.text()]).toEqual([403, await unknown.text()]);
  });

  it('neither the database files nor the logs ever contain a plaintext key', async () => {
    expect(keys.length).toBeGreaterThanOrEqual(6);
    const files = readdirSync(dir.path).filter((name) => name.startsWith('shared.db'));
    expect(files).toContain('shared.db');
    for (const file of files) {
      const bytes = readFileSync(dir.file(file)).toString('latin1');
      for (const key of keys) expect(bytes.includes(key)).toBe(false);
    }
    for (const key of keys) expect(server.output()).not.toContain(key);
  });
});
