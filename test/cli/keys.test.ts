import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

interface KeyJson {
  id: string;
  key?: string;
  customer: string;
  scope: string;
  resources: string | string[];
  allowed_ips: string | string[];
  status: string;
  expires_at: string | null;
  replaces?: KeyJson;
}

/** Allowlists and rotation through the operator CLI, run in-process through its own entry. */
describe('keys create --allow-ip, keys list and keys rotate', () => {
  let dir: TempDir;
  let env: Record<string, string>;

  const json = async <T>(args: readonly string[]): Promise<T> => {
    const result = await runCliInProcess([...args, '--json'], env);
    expect({ args, code: result.code }, result.stderr).toEqual({ args, code: 0 });
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    dir = tempDir();
    env = { DATABASE_URL: dir.file('keys.db') };
    await json(['providers', 'add', 'sim', '--type', 'simulator']);
    await json(['vps', 'add', 'vps_1', '--customer', 'cus_1', '--provider', 'sim']);
  });
  afterAll(() => dir.remove());

  it('creates a key with an allowlist, normalised, and lists it', async () => {
    const created = await json<KeyJson>([
      'keys',
      'create',
      '--customer',
      'cus_1',
      '--allow-ip',
      '192.0.2.0/24',
      '--allow-ip',
      '2001:DB8::1',
      '--allow-ip',
      '192.0.2.0/24',
    ]);
    expect(created.allowed_ips).toEqual(['192.0.2.0/24', '2001:db8::1/128']);
    const plain = await json<KeyJson>(['keys', 'create', '--customer', 'cus_1']);
    expect(plain.allowed_ips).toBe('any');
    const listed = await json<KeyJson[]>(['keys', 'list']);
    // Listed oldest first.
    expect(listed.map((k) => [k.id, k.allowed_ips])).toEqual([
      [created.id, ['192.0.2.0/24', '2001:db8::1/128']],
      [plain.id, 'any'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    const human = await runCliInProcess(['keys', 'list'], env);
    expect(human.stdout).toContain('ALLOWED IPS');
    expect(human.stdout).toContain('192.0.2.0/24,2001:db8::1/128');
  });

  it('rotates a key: same customer, scope, machines and allowlist; the old one expires after the overlap', async () => {
    const old = await json<KeyJson>([
      'keys',
      'create',
      '--customer',
      'cus_1',
      '--vps',
      'vps_1',
      '--allow-ip',
      '198.51.100.0/24',
      '--name',
      'deploy',
    ]);
    const before = Date.now();
    const rotated = await json<KeyJson>(['keys', 'rotate', old.id, '--overlap', '2h']);
    expect(rotated).toMatchObject({
      customer_id: 'cus_1',
      scope: 'power',
      resources: ['vps:vps_1'],
      allowed_ips: ['198.51.100.0/24'],
      name: 'deploy',
      status: 'active',
      expires_at: null,
    });
    expect(rotated.key).toMatch(/^heo_/);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.replaces?.id).toBe(old.id);
    const expiry = Date.parse(rotated.replaces?.expires_at ?? '');
    expect(expiry - before).toBeGreaterThanOrEqual(2 * 3_600_000 - 60_000);
    expect(expiry - before).toBeLessThanOrEqual(2 * 3_600_000 + 60_000);
    // Only once: the old key has its replacement.
    const again = await runCliInProcess(['keys', 'rotate', old.id], env);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 1, stdout: '' });
    expect(again.stderr).toBe(
      `heo-power: key "${old.id}" was already rotated or is no longer active\n`,
    );
    const events = await json<{ event: string; subject: string }[]>(['audit', '--operator']);
    expect(events[0]).toMatchObject({ event: 'key.rotate', subject: old.id });
    expect(JSON.stringify(events)).not.toContain(rotated.key);
  });

  it('rotates with the default overlap of 24 hours', async () => {
    const old = await json<KeyJson>(['keys', 'create', '--customer', 'cus_1']);
    const before = Date.now();
    const rotated = await json<KeyJson>(['keys', 'rotate', old.id]);
    const expiry = Date.parse(rotated.replaces?.expires_at ?? '');
    expect(Math.abs(expiry - before - 24 * 3_600_000)).toBeLessThanOrEqual(60_000);
  });
});
