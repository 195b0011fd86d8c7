import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServeProcess } from '../helpers/serve-process.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

describe('heo-power demo', () => {
  let dir: TempDir;
  let demo: ServeProcess;

  beforeAll(async () => {
    dir = tempDir();
    demo = await startServeProcess({ DATABASE_URL: dir.file('demo.db') }, 'demo');
    // The banner follows the "listening" line; wait (bounded) until its last line is out.
    for (let i = 0; i < 100 && !demo.output().includes('Stop with Ctrl-C.'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  afterAll(async () => {
    // Absent when beforeAll failed.
    await (demo as ServeProcess | undefined)?.stop('SIGKILL');
    dir.remove();
  });

  const keyAfter = (label: string): string => {
    const match = new RegExp(`${label}[^\\n]*?(heo_[0-9A-Za-z]{36})`).exec(demo.output());
    if (!match?.[1]) throw new Error(`no "${label}" in:\n${demo.output()}`);
    return match[1];
  };

  it('prints a power key, a read key and ready-to-paste curl lines that work', async () => {
    const power = keyAfter('Power key');
    const read = keyAfter('Read key');
    const curlLines = demo
      .output()
      .split('\n')
      .filter((line) => line.trim().startsWith('curl '));
    expect(curlLines.length).toBeGreaterThanOrEqual(7);

    const call = (path: string, key: string) =>
      fetch(`${demo.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(await (await call('/v1/hosting/cloud/vps-custom/vps_123/start', power)).json()).toEqual({
      success: true,
      action: 'start',
      vps_id: 'vps_123',
      status: 'requested',
      message: 'Start action sent',
    });
    expect((await call('/v1/hosting/game/power/srv_123/restart', power)).status).toBe(200);
    expect((await call('/v1/hosting/cloud/vps-custom/vps_456/start', power)).status).toBe(403);
    expect((await call('/v1/hosting/game/power/srv_123/start', read)).status).toBe(403);
    expect((await call('/v1/hosting/cloud/vps-custom/vps_broken/start', power)).status).toBe(502);
  });

  it('points at the API reference', async () => {
    expect(demo.output()).toContain(
      `API reference: ${demo.url}/docs (OpenAPI document: ${demo.url}/openapi.json)`,
    );
    const page = await fetch(`${demo.url}/docs`);
    expect([page.status, page.headers.get('content-type')]).toEqual([
      200,
      'text/html; charset=utf-8',
    ]);
    expect((await fetch(`${demo.url}/openapi.json`)).status).toBe(200);
  });
});
