import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';
import { bearer } from '../helpers/expect-http.js';
import { startWithCustomers, TEST_ACTOR, type TestService } from '../helpers/test-service.js';

interface ActionJson {
  action_id: string;
  type: string;
  id: string;
  action: string;
  status: string;
  customer_id: string;
  key_id: string;
  requested_at: string;
  finished_at: string | null;
}

describe('heo-power actions', () => {
  let service: TestService;
  let env: Record<string, string>;
  let keyId: string;
  const handles: string[] = [];

  beforeAll(async () => {
    service = await startWithCustomers({ config: { rateLimitPerMinute: 1_000 } });
    env = { DATABASE_URL: service.container.config.databaseUrl };
    const created = await service.createKey('cus_a');
    keyId = created.id;
    await service.addVps('vps_cli', 'cus_a');
    for (const action of ['start', 'stop', 'start']) {
      const res = await service.inject({
        method: 'POST',
        url: `/v1/hosting/cloud/vps-custom/vps_cli/${action}`,
        headers: bearer(created.key),
      });
      expect(res.statusCode).toBe(200);
      handles.push(String(res.headers.location).split('/').at(-1) ?? '');
    }
    // The machine goes to another customer: operators still see what its first one asked.
    await service.container.machines.moveResource('vps', 'vps_cli', 'cus_c', {}, TEST_ACTOR);
  });
  afterAll(() => service.close());

  it('lists a machine’s actions newest first as a table, whoever owned it then', async () => {
    const printed = await runCliInProcess(['actions', 'vps', 'vps_cli'], env);
    expect([printed.code, printed.stderr]).toEqual([0, '']);
    const lines = printed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^REQUESTED +ACTION_ID +ACTION +STATUS +FINISHED +ERROR +CUSTOMER +KEY$/,
    );
    expect(lines.slice(1).map((line) => line.split(/ +/).slice(1, 8))).toEqual(
      [2, 1, 0].map((i) => [
        handles[i],
        i === 1 ? 'stop' : 'start',
        'requested',
        '-',
        '-',
        'cus_a',
        keyId,
      ]),
    );
  });

  it('prints JSON with --json, and pages with --limit and --cursor', async () => {
    const first = await runCliInProcess(
      ['actions', 'vps', 'vps_cli', '--limit', '2', '--json'],
      env,
    );
    expect(first.code).toBe(0);
    const page1 = JSON.parse(first.stdout) as ActionJson[];
    expect(page1.map((a) => a.action_id)).toEqual([handles[2], handles[1]]);
    expect(page1[0]).toEqual({
      action_id: handles[2],
      type: 'vps',
      id: 'vps_cli',
      action: 'start',
      status: 'requested',
      error: null,
      customer_id: 'cus_a',
      key_id: keyId,
      provider: 'sim',
      task_ref: expect.any(String) as unknown,
      requested_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) as unknown,
      finished_at: null,
    });
    // The way on is on stderr, so that stdout stays one JSON document.
    const cursor = /^more actions: --cursor (\S+)\n$/.exec(first.stderr)?.[1] ?? '';
    expect(cursor).not.toBe('');
    const second = await runCliInProcess(
      ['actions', 'vps', 'vps_cli', '--limit', '2', '--cursor', cursor, '--json'],
      env,
    );
    expect([second.code, second.stderr]).toEqual([0, '']);
    expect((JSON.parse(second.stdout) as ActionJson[]).map((a) => a.action_id)).toEqual([
      handles[0],
    ]);
    const human = await runCliInProcess(['actions', 'vps', 'vps_cli', '--limit', '1'], env);
    expect(human.stdout.trimEnd().split('\n').at(-1)).toMatch(/^more actions: --cursor \S+$/);
  });

  it('says (none) for a machine without actions, and refuses what it cannot read', async () => {
    const none = await runCliInProcess(['actions', 'game', 'srv_456'], env);
    expect([none.code, none.stdout]).toEqual([0, '(none)\n']);
    const unknown = await runCliInProcess(['actions', 'vps', 'vps_nope'], env);
    expect([unknown.code, unknown.stdout]).toEqual([1, '']);
    expect(unknown.stderr).toContain('unknown VPS "vps_nope"');
    const badType = await runCliInProcess(['actions', 'server', 'srv_123'], env);
    // Usage errors exit 2, as every command's do.
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('Allowed choices are vps, game.');
    const badCursor = await runCliInProcess(['actions', 'vps', 'vps_cli', '--cursor', 'nope'], env);
    expect(badCursor.code).toBe(2);
    expect(badCursor.stderr).toContain('not a cursor this command printed');
    const badLimit = await runCliInProcess(['actions', 'vps', 'vps_cli', '--limit', '0'], env);
    expect([badLimit.code, badLimit.stderr]).toEqual([
      2,
      "heo-power: option '--limit <n>' argument '0' is invalid. expected a whole number from 1 to 1000\n",
    ]);
  });
});
