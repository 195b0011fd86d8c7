import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PowerAction } from '../../src/domain/power.js';
import { type SimulatedState, plan } from '../../src/providers/simulator/machine.js';
import { SimulatorProvider } from '../../src/providers/simulator/simulator-provider.js';
import { captureLogs } from '../helpers/log-capture.js';

const target = (ref: string) => ({ resourceType: 'vps' as const, resourceId: ref, ref });

describe('simulator power semantics', () => {
  it.each<[SimulatedState, PowerAction, string]>([
    ['stopped', 'start', 'move starting→running'],
    ['running', 'start', 'already'],
    ['starting', 'start', 'already'],
    ['stopping', 'start', 'move starting→running'],
    ['running', 'stop', 'move stopping→stopped'],
    ['stopped', 'stop', 'already'],
    ['running', 'reset', 'move starting→running'],
    ['stopped', 'reset', 'refuse'],
    ['stopped', 'restart', 'move starting→running'],
    ['running', 'restart', 'move stopping→starting→running'],
    ['running', 'kill', 'move stopped'],
    ['stopped', 'kill', 'already'],
  ])('%s + %s: %s', (state, action, expected) => {
    const next = plan(state, action);
    const described =
      next.kind === 'move' ? `move ${[next.now, ...next.later].join('→')}` : next.kind;
    expect(described).toBe(expected);
  });
});

describe('SimulatorProvider', () => {
  const logs = captureLogs('silent');
  const context = { requestId: 'r', logger: logs.logger };
  let sim: SimulatorProvider;

  beforeEach(() => {
    vi.useFakeTimers();
    sim = new SimulatorProvider({
      name: 'sim',
      transitionMs: 1_000,
      timeoutMs: 5_000,
      logger: logs.logger,
    });
  });
  afterEach(async () => {
    await sim.close();
    vi.useRealTimers();
  });

  it('moves a machine through its transitions after the configured delay', async () => {
    expect(sim.machine('m1').state).toBe('stopped');
    const started = await sim.power(target('m1'), 'start', context);
    expect(started).toMatchObject({ accepted: true, alreadyInState: false, upstreamStatus: 200 });
    expect(started.accepted && started.taskRef).toMatch(/^SIM:sim:[0-9a-f]{8}:start:m1$/);
    expect(sim.machine('m1').state).toBe('starting');
    vi.advanceTimersByTime(999);
    expect(sim.machine('m1').state).toBe('starting');
    vi.advanceTimersByTime(1);
    expect(sim.machine('m1').state).toBe('running');

    await sim.power(target('m1'), 'restart', context);
    expect(sim.machine('m1').state).toBe('stopping');
    vi.advanceTimersByTime(1_000);
    expect(sim.machine('m1').state).toBe('starting');
    vi.advanceTimersByTime(1_000);
    expect(sim.machine('m1').state).toBe('running');
    expect(sim.machine('m1').actions).toBe(2);
  });

  it('answers "already in that state" as accepted', async () => {
    const outcome = await sim.power(target('m2'), 'stop', context);
    expect(outcome).toMatchObject({ accepted: true, alreadyInState: true });
  });

  it('refuses a reset of a stopped machine', async () => {
    expect(await sim.power(target('m3'), 'reset', context)).toMatchObject({
      accepted: false,
      failure: 'conflict',
    });
  });

  it('kill stops at once and cancels a pending transition', async () => {
    await sim.power(target('m4'), 'start', context);
    await sim.power(target('m4'), 'kill', context);
    expect(sim.machine('m4').state).toBe('stopped');
    vi.advanceTimersByTime(5_000);
    expect(sim.machine('m4').state).toBe('stopped');
  });

  it('refuses everything for fail- refs and times out for hang- refs', async () => {
    expect(await sim.power(target('fail-1'), 'start', context)).toMatchObject({
      accepted: false,
      failure: 'rejected',
    });
    const pending = sim.power(target('hang-1'), 'start', context);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await pending).toMatchObject({ accepted: false, failure: 'timeout' });
  });

  it('reads the state a machine has reached, through every transition', async () => {
    const read = async () => {
      const outcome = await sim.state(target('s1'));
      return outcome.read ? outcome.state : outcome.failure;
    };
    expect(await read()).toBe('stopped');
    await sim.power(target('s1'), 'start', context);
    expect(await read()).toBe('starting');
    vi.advanceTimersByTime(1_000);
    expect(await read()).toBe('running');
    await sim.power(target('s1'), 'stop', context);
    expect(await read()).toBe('stopping');
    vi.advanceTimersByTime(1_000);
    expect(await sim.state(target('s1'))).toEqual({
      read: true,
      state: 'stopped',
      detail: null,
    });
  });

  it('follows a task until the last transition of its action', async () => {
    await sim.power(target('t1'), 'start', context);
    vi.advanceTimersByTime(1_000);
    const restart = await sim.power(target('t1'), 'restart', context);
    const taskRef = restart.accepted ? (restart.taskRef ?? '') : '';
    expect(await sim.followTask(target('t1'), taskRef)).toEqual({ read: true, done: false });
    vi.advanceTimersByTime(1_000);
    expect(await sim.followTask(target('t1'), taskRef)).toEqual({ read: true, done: false });
    vi.advanceTimersByTime(1_000);
    expect(await sim.followTask(target('t1'), taskRef)).toEqual({
      read: true,
      done: true,
      ok: true,
      detail: 'OK',
    });
    const already = await sim.power(target('t1'), 'start', context);
    const alreadyRef = already.accepted ? (already.taskRef ?? '') : '';
    expect(await sim.followTask(target('t1'), alreadyRef)).toMatchObject({ done: true, ok: true });
  });

  it('answers unknown tasks, fail- reads and hang- reads with failure values', async () => {
    expect(await sim.followTask(target('t2'), 'SIM:sim:00000999:start:t2')).toMatchObject({
      read: false,
      failure: 'not_found',
    });
    const started = await sim.power(target('t3'), 'start', context);
    const taskRef = started.accepted ? (started.taskRef ?? '') : '';
    expect(await sim.followTask(target('t4'), taskRef)).toMatchObject({
      read: false,
      failure: 'rejected',
    });
    expect(await sim.state(target('fail-2'))).toMatchObject({
      read: false,
      failure: 'upstream_error',
      upstreamStatus: 500,
    });
    const pending = sim.state(target('hang-2'));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await pending).toMatchObject({ read: false, failure: 'timeout' });
  });
});
