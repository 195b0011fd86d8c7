import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Response as InjectResponse } from 'light-my-request';
import { BACKENDS } from '../helpers/backends.js';
import { bearer } from '../helpers/expect-http.js';
import { runCliInProcess } from '../helpers/cli.js';
import { startWithCustomers, TEST_ACTOR, type TestService } from '../helpers/test-service.js';

interface MachineJson {
  type: string;
  id: string;
  customer_id: string;
  provider: string;
  ref: string;
  created_at: string;
  assigned_at: string;
  previous_customer_id?: string;
  unscoped_keys?: string[];
  removed?: boolean;
}

interface KeyJson {
  id: string;
  customer_id: string;
  resources: string | string[];
  status: string;
}

interface OperatorEventJson {
  event: string;
  subject: string;
  detail: Record<string, unknown> | null;
}

const PATHS = {
  vps: (id: string) => `/v1/hosting/cloud/vps-custom/${id}/start`,
  game: (id: string) => `/v1/hosting/game/power/${id}/start`,
} as const;

/** What differs between two answers by their nature: the request id, the time, the key's quota. */
const PER_REQUEST = new Set(['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset']);

/** An answer as a client sees it, minus what differs from one request to the next anyway. */
const seen = (res: InjectResponse) => ({
  status: res.statusCode,
  headers: Object.fromEntries(
    Object.entries(res.headers).filter(([name]) => !PER_REQUEST.has(name.toLowerCase())),
  ),
  body: res.rawPayload.toString('latin1'),
});

/**
 * Machines over their lifetime through the operator CLI (run in-process through its own entry,
 * on its own connection to the store, as another process would), seen by two running instances
 * on the same store on their very next request.
 */
describe.each(BACKENDS)('moving and removing machines on $name', (backend) => {
  let first: TestService;
  let second: TestService;
  let env: Record<string, string>;

  beforeEach(async () => {
    first = await startWithCustomers({ backend });
    second = await first.sibling();
    const storage = first.storage;
    if (storage === undefined) throw new Error('no storage');
    env = { ...storage.env };
  });
  afterEach(async () => {
    await second.close();
    await first.close();
  });

  /**
   * On PostgreSQL a change reaches an instance as a notification, sub-millisecond on loopback: an
   * operator's next request, sent after the CLI process has ended, comes long after it. Run in
   * one process, the test makes that order explicit (each instance has heard every change
   * committed so far); SQLite instances ask the database on every request and need nothing.
   */
  const delivered = async (): Promise<void> => {
    for (const instance of [first, second]) {
      const heard = instance.store.changes.caughtUp?.();
      if (heard !== undefined) expect(await heard).toBe(true);
    }
  };
  const cli = async <T>(args: readonly string[]): Promise<T> => {
    const result = await runCliInProcess([...args, '--json'], env);
    expect({ args, code: result.code }, result.stderr).toEqual({ args, code: 0 });
    await delivered();
    return JSON.parse(result.stdout) as T;
  };
  const start = (instance: TestService, type: 'vps' | 'game', id: string, key: string) =>
    instance.inject({ method: 'POST', url: PATHS[type](id), headers: bearer(key) });
  const operatorLog = async (limit: number) =>
    cli<OperatorEventJson[]>(['audit', '--operator', '--limit', String(limit)]);

  it('a moved VPS: the old customer gets the unknown-id 403 at once, the new one reaches it at once', async () => {
    const oldAll = await first.createKey('cus_a');
    const oldScoped = await first.createKey('cus_a', {
      resources: [
        { type: 'vps', id: 'vps_123' },
        { type: 'game', id: 'srv_123' },
      ],
    });
    const newAll = await first.createKey('cus_b');
    for (const instance of [first, second]) {
      // Cached on both instances before the move.
      expect((await start(instance, 'vps', 'vps_123', oldAll.key)).statusCode).toBe(200);
      expect((await start(instance, 'vps', 'vps_123', oldScoped.key)).statusCode).toBe(200);
      expect((await start(instance, 'vps', 'vps_123', newAll.key)).statusCode).toBe(403);
    }
    const before = Date.now();
    const moved = await cli<MachineJson>(['vps', 'move', 'vps_123', '--customer', 'cus_b']);
    expect(moved).toMatchObject({
      id: 'vps_123',
      customer_id: 'cus_b',
      previous_customer_id: 'cus_a',
      unscoped_keys: [oldScoped.id],
    });
    expect(Date.parse(moved.assigned_at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(moved.created_at)).toBeLessThanOrEqual(before);

    for (const instance of [second, first]) {
      for (const key of [oldAll.key, oldScoped.key]) {
        const refused = await start(instance, 'vps', 'vps_123', key);
        const unknown = await start(instance, 'vps', 'vps_unknown', key);
        expect(refused.statusCode).toBe(403);
        expect(seen(refused)).toEqual(seen(unknown));
      }
      expect((await start(instance, 'vps', 'vps_123', newAll.key)).statusCode).toBe(200);
      // The old customer's scoped key still reaches what else it named.
      expect((await start(instance, 'game', 'srv_123', oldScoped.key)).statusCode).toBe(200);
    }
    // The store knows when it came to its customer; the scoped key names it no more.
    expect((await first.store.resources.get('vps', 'vps_123'))?.assignedAt).toBe(
      Date.parse(moved.assigned_at),
    );
    expect((await cli<KeyJson>(['keys', 'show', oldScoped.id])).resources).toEqual([
      'game:srv_123',
    ]);
    const [event] = await operatorLog(1);
    expect(event).toEqual({
      ...event,
      event: 'vps.move',
      subject: 'vps_123',
      detail: { customer: { from: 'cus_a', to: 'cus_b' }, unscoped_keys: [oldScoped.id] },
    });
    // Moving it back does not bring the old scoped key back to it.
    await cli(['vps', 'move', 'vps_123', '--customer', 'cus_a']);
    expect((await start(second, 'vps', 'vps_123', oldScoped.key)).statusCode).toBe(403);
    expect((await start(second, 'vps', 'vps_123', oldAll.key)).statusCode).toBe(200);
  });

  it('a removed game server: every key gets the unknown-id 403 at once on every instance', async () => {
    const all = await first.createKey('cus_a');
    const scoped = await first.createKey('cus_a', { resources: [{ type: 'game', id: 'srv_123' }] });
    for (const instance of [first, second])
      expect((await start(instance, 'game', 'srv_123', scoped.key)).statusCode).toBe(200);
    const removed = await cli<MachineJson>(['game', 'remove', 'srv_123']);
    expect(removed).toMatchObject({
      type: 'game',
      id: 'srv_123',
      customer_id: 'cus_a',
      removed: true,
      unscoped_keys: [scoped.id],
    });
    for (const instance of [second, first]) {
      for (const key of [all.key, scoped.key]) {
        const refused = await start(instance, 'game', 'srv_123', key);
        expect(refused.statusCode).toBe(403);
        expect(seen(refused)).toEqual(seen(await start(instance, 'game', 'srv_nope', key)));
      }
    }
    expect(await first.store.resources.get('game', 'srv_123')).toBeUndefined();
    const key = await cli<KeyJson>(['keys', 'show', scoped.id]);
    expect([key.resources, key.status]).toEqual([[], 'active']);
    const human = await runCliInProcess(['keys', 'show', scoped.id], env);
    expect(human.stdout).toMatch(/^resources\s+none$/m);
    const [event] = await operatorLog(1);
    expect(event).toMatchObject({
      event: 'game.remove',
      subject: 'srv_123',
      detail: { customer: 'cus_a', provider: 'sim', ref: 'srv_123', unscoped_keys: [scoped.id] },
    });
    // Gone: a second removal, a move or a show is refused as unknown.
    for (const args of [
      ['game', 'remove', 'srv_123'],
      ['game', 'move', 'srv_123', '--customer', 'cus_b'],
      ['game', 'show', 'srv_123'],
    ]) {
      const result = await runCliInProcess([...args, '--json'], env);
      expect([result.code, result.stdout, JSON.parse(result.stderr)]).toEqual([
        1,
        '',
        { error: 'not_found', message: 'unknown game server "srv_123" (see "game list")' },
      ]);
    }
  });

  it('vps update and a move with --provider and --ref send the next action to the new place', async () => {
    await first.addProvider('sim2');
    const key = await first.createKey('cus_a');
    expect((await start(second, 'vps', 'vps_123', key.key)).statusCode).toBe(200);
    const updated = await cli<MachineJson>([
      'vps',
      'update',
      'vps_123',
      '--provider',
      'sim2',
      '--ref',
      'machine-9',
    ]);
    expect(updated).toMatchObject({ customer_id: 'cus_a', provider: 'sim2', ref: 'machine-9' });
    // Where it runs changed, not whose it is.
    expect(updated.assigned_at).toBe(updated.created_at);
    expect((await start(second, 'vps', 'vps_123', key.key)).statusCode).toBe(200);
    const [latest] = await first.store.audit.list({ limit: 1 });
    expect([latest?.resourceId, latest?.provider, latest?.status]).toEqual([
      'vps_123',
      'sim2',
      200,
    ]);

    const moved = await cli<MachineJson>([
      'vps',
      'move',
      'vps_123',
      '--customer',
      'cus_b',
      '--provider',
      'sim',
      '--ref',
      'machine-10',
    ]);
    expect(moved).toMatchObject({ customer_id: 'cus_b', provider: 'sim', ref: 'machine-10' });
    const [event] = await operatorLog(1);
    expect(event?.detail).toEqual({
      customer: { from: 'cus_a', to: 'cus_b' },
      provider: { from: 'sim2', to: 'sim' },
      ref: { from: 'machine-9', to: 'machine-10' },
      unscoped_keys: [],
    });
  });

  it('refuses moves and updates that make no sense, and changes nothing', async () => {
    await first.container.machines.addProvider(
      { name: 'pve', type: 'proxmox', settings: { url: 'https://127.0.0.1:8006' } },
      TEST_ACTOR,
    );
    const before = await operatorLog(100);
    for (const [args, message] of [
      [
        ['vps', 'move', 'vps_123', '--customer', 'cus_a'],
        'VPS "vps_123" already belongs to customer "cus_a"',
      ],
      [['vps', 'move', 'vps_123', '--customer', 'bad id'], /^invalid customer id "bad id"/],
      [
        ['vps', 'move', 'vps_nope', '--customer', 'cus_b'],
        'unknown VPS "vps_nope" (see "vps list")',
      ],
      [['vps', 'update', 'vps_123'], 'nothing to change: give --provider and/or --ref'],
      [['vps', 'update', 'vps_123', '--provider', 'ghost'], /^unknown provider "ghost"/],
      [
        ['vps', 'update', 'vps_123', '--provider', 'pve'],
        /^invalid ref "vps_123" for proxmox: .*; give the new one with --ref\)$/,
      ],
      [
        [
          'game',
          'move',
          'srv_123',
          '--customer',
          'cus_b',
          '--provider',
          'pve',
          '--ref',
          'pve1/qemu/100',
        ],
        'provider "pve" (proxmox) cannot run a game server',
      ],
    ] as const) {
      const result = await runCliInProcess(args, env);
      expect([result.code, result.stdout]).toEqual([1, '']);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.trimEnd().replace(/^heo-power: /, '')).toMatch(message);
    }
    const usage = await runCliInProcess(['vps', 'move', 'vps_123'], env);
    expect([usage.code, usage.stderr]).toEqual([
      2,
      "heo-power: required option '--customer <customer_id>' not specified\n",
    ]);
    expect(await operatorLog(100)).toEqual(before);
    expect(await first.store.resources.get('vps', 'vps_123')).toMatchObject({
      customerId: 'cus_a',
      provider: 'sim',
      ref: 'vps_123',
    });
  });
});
