import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliJson } from '../helpers/cli.js';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

describe('graceful shutdown on SIGTERM', () => {
  let dir: TempDir;
  let env: Record<string, string>;
  let server: ServeProcess;
  let key: string;

  beforeAll(async () => {
    dir = tempDir();
    env = { DATABASE_URL: dir.file('shutdown.db'), HEO_PROVIDER_TIMEOUT_MS: '1500' };
    await runCliJson(['providers', 'add', 'sim', '--type', 'simulator'], env);
    await runCliJson(
      ['vps', 'add', 'vps_slow', '--customer', 'cus_1', '--provider', 'sim', '--ref', 'hang-1'],
      env,
    );
    key = (await runCliJson<{ key: string }>(['keys', 'create', '--customer', 'cus_1'], env)).key;
    server = await startServeProcess({ ...env, LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    // Absent when beforeAll failed.
    await (server as ServeProcess | undefined)?.stop('SIGKILL');
    dir.remove();
  });

  it('finishes the request in flight, records it, refuses new connections and exits 0', async () => {
    // A kept-alive connection, already used once: the reply in flight must tell its client not
    // to send another request on it (the server is about to close it).
    const client = new Client(server.url, { keepAliveTimeout: 60_000 });
    const first = await client.request({ method: 'GET', path: '/healthz' });
    await first.body.text();
    expect(first.headers.connection).toBe('keep-alive');
    const inFlight = client.request({
      method: 'POST',
      path: '/v1/hosting/cloud/vps-custom/vps_slow/stop',
      headers: { authorization: `Bearer ${key}` },
    });
    // In flight: the server has handed the action to the provider, which takes 1.5 s to time out.
    for (let i = 0; i < 200 && !server.output().includes('sending action to provider'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(server.output()).toContain('sending action to provider');
    const exited = server.stop('SIGTERM');

    const res = await inFlight;
    expect(res.statusCode).toBe(502);
    expect(res.headers.connection).toBe('close');
    expect(await res.body.json()).toEqual({
      success: false,
      error: 'provider_error',
      message: 'Failed to send action',
      reason: 'provider_timeout',
    });
    await client.close();
    expect(await exited).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();

    const audit = await runCliJson<{ resource_id: string; status: number }[]>(['audit'], env);
    expect(audit.map((r) => [r.resource_id, r.status])).toEqual([['vps_slow', 502]]);
    expect(server.output()).toContain('"msg":"stopped"');
  });
});
