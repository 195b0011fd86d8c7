import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';
import { type TempDir, tempDir } from '../helpers/temp-dir.js';

interface EndpointJson {
  id: string;
  customer_id: string;
  url: string;
  events: string | string[];
  status: string;
  previous_secret_until: string | null;
  secret?: string;
}

/** `webhooks …` through the operator CLI, run in-process through its own entry. */
describe('the webhooks commands', () => {
  let dir: TempDir;
  let env: Record<string, string>;

  const run = (args: readonly string[], answers?: readonly string[]) =>
    runCliInProcess(args, env, '', answers);
  const json = async <T>(args: readonly string[]): Promise<T> => {
    const result = await run([...args, '--json']);
    expect({ args, code: result.code }, result.stderr).toEqual({ args, code: 0 });
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(() => {
    dir = tempDir();
    env = { DATABASE_URL: dir.file('webhooks.db') };
  });
  afterAll(() => dir.remove());

  it('adds an endpoint, shows its secret once, and never lists it', async () => {
    const added = await json<EndpointJson>([
      'webhooks',
      'add',
      '--customer',
      'cus_1',
      '--url',
      'https://hooks.example.net/heo',
      '--event',
      'power.action.failed',
      '--event',
      'power.action.requested',
    ]);
    expect(added).toMatchObject({
      customer_id: 'cus_1',
      url: 'https://hooks.example.net/heo',
      events: ['power.action.requested', 'power.action.failed'],
      status: 'enabled',
    });
    expect(added.id).toMatch(/^whe_[A-Za-z0-9]{16}$/);
    expect(added.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const secret = added.secret ?? '';

    const listed = await json<EndpointJson[]>(['webhooks', 'list', '--customer', 'cus_1']);
    expect(listed.map((e) => e.id)).toEqual([added.id]);
    const shown = await json<EndpointJson>(['webhooks', 'show', added.id]);
    const human = await run(['webhooks', 'list']);
    const log = await run(['audit', '--operator', '--json']);
    for (const text of [JSON.stringify(listed), JSON.stringify(shown), human.stdout, log.stdout]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(6, 26));
    }
    expect(shown).not.toHaveProperty('secret');
    expect(log.stdout).toContain('webhook.add');

    const plain = await run([
      'webhooks',
      'add',
      '--customer',
      'cus_1',
      '--url',
      'https://a.example.net/',
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/whsec_/);
    expect(plain.stdout).toContain('This is the only time the secret is shown');
  });

  it('refuses plain HTTP, unknown event types and bad customer ids', async () => {
    for (const args of [
      ['--customer', 'cus_1', '--url', 'http://hooks.example.net/'],
      ['--customer', 'cus_1', '--url', 'https://hooks.example.net/', '--event', 'power.nope'],
      ['--customer', 'bad id', '--url', 'https://hooks.example.net/'],
    ]) {
      const result = await run(['webhooks', 'add', ...args, '--json']);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stderr)).toMatchObject({ error: 'refused' });
    }
  });

  it('rotates a secret with an overlap, or at once after a confirmation', async () => {
    const added = await json<EndpointJson>([
      'webhooks',
      'add',
      '--customer',
      'cus_2',
      '--url',
      'https://hooks.example.net/rot',
    ]);
    const rotated = await json<EndpointJson>([
      'webhooks',
      'rotate-secret',
      added.id,
      '--overlap',
      '2h',
    ]);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(added.secret);
    expect(Date.parse(rotated.previous_secret_until ?? '') - Date.now()).toBeGreaterThan(3_500_000);

    const declined = await run(['webhooks', 'rotate-secret', added.id, '--overlap', '0'], ['n']);
    expect(declined.code).toBe(1);
    expect(declined.asked).toHaveLength(1);
    const now = await json<EndpointJson>(['webhooks', 'rotate-secret', added.id, '--overlap', '0']);
    expect(now.previous_secret_until).toBeNull();
  });

  it('refuses to test a loopback receiver unless private addresses are allowed', async () => {
    const added = await json<EndpointJson>([
      'webhooks',
      'add',
      '--customer',
      'cus_3',
      '--url',
      'https://127.0.0.1:9/hook',
    ]);
    const result = await run(['webhooks', 'test', added.id, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      delivered: false,
      status: null,
      error: 'refused_address',
      response: null,
    });
    expect(await json(['webhooks', 'deliveries', added.id])).toEqual([]);
  });

  it('removes an endpoint after a confirmation at a terminal', async () => {
    const added = await json<EndpointJson>([
      'webhooks',
      'add',
      '--customer',
      'cus_4',
      '--url',
      'https://hooks.example.net/rm',
    ]);
    const cancelled = await run(['webhooks', 'remove', added.id], ['no']);
    expect(cancelled.code).toBe(1);
    expect(cancelled.asked[0]).toContain(added.id);
    const removed = await run(['webhooks', 'remove', added.id], ['y']);
    expect(removed.code).toBe(0);
    const missing = await run(['webhooks', 'show', added.id, '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: 'not_found' });
    const redeliver = await run(['webhooks', 'redeliver', 'whd_999', '--json']);
    expect(JSON.parse(redeliver.stderr)).toMatchObject({ error: 'not_found' });
  });
});
