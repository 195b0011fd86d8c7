import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, ROOT, runCli, runCliJson } from '../helpers/cli.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';
import { LATEST_VERSION, MIGRATIONS } from '../../src/store/migrations/index.js';

interface KeyJson {
  id: string;
  key?: string;
  customer: string;
  scope: string;
  resources: string | string[];
  status: string;
  expires_at: string | null;
  display_prefix: string;
}

describe('the operator CLI, run as a separate process', () => {
  let dir: TempDir;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = tempDir();
    env = { DATABASE_URL: dir.file('cli.db') };
  });
  afterAll(() => dir.remove());

  it('migrate creates the database and is idempotent', async () => {
    const first = await runCliJson<{ applied: string[]; version: number }>(['migrate'], env);
    expect(first).toMatchObject({
      applied: MIGRATIONS.map((migration) => migration.name),
      version: LATEST_VERSION,
    });
    const second = await runCliJson<{ applied: string[]; version: number }>(['migrate'], env);
    expect(second).toMatchObject({ applied: [], version: LATEST_VERSION });
  });

  it('registers providers and machines, and lists them', async () => {
    expect(
      await runCliJson(
        ['providers', 'add', 'sim', '--type', 'simulator', '--timeout-ms', '5000'],
        env,
      ),
    ).toEqual({
      name: 'sim',
      type: 'simulator',
      settings: { timeoutMs: 5000 },
      credential: null,
    });
    expect(
      await runCliJson(['vps', 'add', 'vps_1', '--customer', 'cus_1', '--provider', 'sim'], env),
    ).toEqual({
      type: 'vps',
      id: 'vps_1',
      customer_id: 'cus_1',
      provider: 'sim',
      ref: 'vps_1',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      assigned_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
    await runCliJson(
      ['vps', 'add', 'vps_2', '--customer', 'cus_1', '--provider', 'sim', '--ref', 'machine-2'],
      env,
    );
    await runCliJson(['game', 'add', 'srv_1', '--customer', 'cus_1', '--provider', 'sim'], env);
    await runCliJson(['game', 'add', 'srv_9', '--customer', 'cus_9', '--provider', 'sim'], env);

    const providers = await runCliJson<{ name: string; resources: number }[]>(
      ['providers', 'list'],
      env,
    );
    expect(providers).toMatchObject([
      { name: 'sim', type: 'simulator', resources: 4, credential: null },
    ]);
    const vps = await runCliJson<{ id: string; ref: string }[]>(['vps', 'list'], env);
    expect(vps.map((v) => [v.id, v.ref])).toEqual([
      ['vps_1', 'vps_1'],
      ['vps_2', 'machine-2'],
    ]);
    const games = await runCliJson<{ id: string }[]>(['game', 'list', '--customer', 'cus_9'], env);
    expect(games.map((g) => g.id)).toEqual(['srv_9']);
  });

  it('creates keys: printed once with --json, never listed again', async () => {
    const created = await runCliJson<KeyJson>(['keys', 'create', '--customer', 'cus_1'], env);
    expect(created).toMatchObject({
      customer_id: 'cus_1',
      scope: 'power',
      resources: 'all',
      status: 'active',
      expires_at: null,
    });
    expect(created.id).toMatch(/^key_[0-9A-Za-z]{16}$/);
    expect(created.key).toMatch(/^heo_[0-9A-Za-z]{36}$/);
    expect(created.key?.startsWith(created.display_prefix)).toBe(true);

    const restricted = await runCliJson<KeyJson>(
      [
        'keys',
        'create',
        '--customer',
        'cus_1',
        '--scope',
        'read',
        '--vps',
        'vps_2',
        '--server',
        'srv_1',
        '--expires-in',
        '12h',
        '--name',
        'monitoring',
      ],
      env,
    );
    expect(restricted).toMatchObject({
      scope: 'read',
      resources: ['game:srv_1', 'vps:vps_2'],
      name: 'monitoring',
    });
    const expires = Date.parse(restricted.expires_at ?? '');
    expect(expires - Date.now()).toBeGreaterThan(11 * 3_600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(12 * 3_600_000);

    const listed = await runCli(['keys', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(created.key);
    expect(listed.stdout).not.toContain(restricted.key);
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);
    const keys = JSON.parse(listed.stdout) as KeyJson[];
    expect(keys.map((k) => k.id)).toEqual([created.id, restricted.id]);
    expect(keys.every((k) => k.key === undefined)).toBe(true);

    const human = await runCli(['keys', 'list', '--customer', 'cus_1'], env);
    expect(human.stdout).toContain(created.id);
    expect(human.stdout).not.toContain(created.key);
  });

  it('revokes a key', async () => {
    const { id } = await runCliJson<KeyJson>(['keys', 'create', '--customer', 'cus_1'], env);
    expect(await runCliJson<KeyJson>(['keys', 'revoke', id], env)).toMatchObject({
      id,
      status: 'revoked',
    });
    const keys = await runCliJson<KeyJson[]>(['keys', 'list', '--customer', 'cus_1'], env);
    expect(keys.find((k) => k.id === id)?.status).toBe('revoked');
  });

  it('reads the audit log, and the operator log of changes', async () => {
    expect(await runCliJson(['audit', '--limit', '5'], env)).toEqual([]);
    const events = await runCliJson<{ event: string; subject: string; actor: string }[]>(
      ['audit', '--operator', '--limit', '3'],
      env,
    );
    expect(events.map((e) => e.event)).toEqual(['key.revoke', 'key.create', 'key.create']);
    expect(events[0]?.actor).toMatch(/^cli:/);
  });

  it('reports every configuration problem at once', async () => {
    const result = await runCli(['keys', 'list'], {
      ...env,
      PORT: 'eighty',
      HEO_RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'loud',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PORT.*HEO_RATE_LIMIT_PER_MINUTE|LOG_LEVEL.*PORT/);
    expect(result.stderr).toContain('LOG_LEVEL');
    expect(result.stderr).toContain('HEO_RATE_LIMIT_PER_MINUTE');
  });

  it('runs as "npx heo-power" from the repository root', () => {
    const result = spawnSync('npx', ['--no-install', 'heo-power', 'providers', 'list', '--json'], {
      cwd: ROOT,
      env: childEnv(env),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([{ name: 'sim' }]);
  });
});
