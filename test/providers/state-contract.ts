import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { MACHINE_STATES, type MachineState } from '../../src/domain/power.js';
import type {
  PowerProvider,
  PowerTarget,
  StateOutcome,
  TaskOutcome,
} from '../../src/providers/provider.js';
import { captureLogs } from '../helpers/log-capture.js';
import type { ProviderWorld } from './provider-contract.js';

/** Bound of every loop that waits for an upstream to move. */
const MAX_LOOKS = 40;

const ended = (outcome: TaskOutcome | undefined): boolean =>
  outcome !== undefined && (!outcome.read || outcome.done);

/**
 * What every adapter's reads must do (`state`, and `followTask` where there are tasks), against
 * the simulator and each adapter's fake: states a customer can be told, tasks followed to their
 * end, and every failure a value that names it, with no secret in it or in the log.
 */
export const runStateContract = (name: string, open: () => Promise<ProviderWorld>): void => {
  describe(`provider reads: ${name}`, () => {
    let world: ProviderWorld;
    const logs = captureLogs('trace');
    const context = { requestId: 'reads', logger: logs.logger };
    const details: string[] = [];

    const state = async (provider: PowerProvider, target: PowerTarget): Promise<StateOutcome> => {
      const outcome = await provider.state(target, context);
      if (outcome.detail !== null) details.push(outcome.detail);
      return outcome;
    };
    const follow = async (target: PowerTarget, taskRef: string): Promise<TaskOutcome> => {
      if (world.provider.followTask === undefined) throw new Error('no followTask');
      const outcome = await world.provider.followTask(target, taskRef, context);
      if (!outcome.read) details.push(outcome.detail);
      else if (outcome.done && outcome.detail !== null) details.push(outcome.detail);
      return outcome;
    };
    /** Follows what a poller follows (the task, if any, then the state) until the state is `want`. */
    const watch = async (target: PowerTarget, taskRef: string | null, want: MachineState) => {
      const seen: MachineState[] = [];
      for (let look = 0; look < MAX_LOOKS; look++) {
        if (taskRef !== null && world.provider.followTask !== undefined)
          await follow(target, taskRef);
        const read = await state(world.provider, target);
        if (!read.read) throw new Error(`state read failed: ${read.detail}`);
        if (seen.at(-1) !== read.state) seen.push(read.state);
        if (read.state === want) break;
        world.letTimePass?.();
        await sleep(5);
      }
      return seen;
    };

    beforeAll(async () => {
      world = await open();
    });
    afterAll(async () => {
      await world.close();
      // Whatever went wrong along the way, no secret reached a detail or the log.
      for (const secret of world.secrets) {
        for (const detail of details) expect(detail).not.toContain(secret);
        expect(logs.text()).not.toContain(secret);
      }
    });

    it('reads a stopped machine as stopped and a running one as running', async () => {
      expect(await state(world.provider, await world.machine('stopped'))).toMatchObject({
        read: true,
        state: 'stopped',
      });
      expect(await state(world.provider, await world.machine('running'))).toMatchObject({
        read: true,
        state: 'running',
      });
    });

    it('sees a started machine come up, and a stopped one go down', async () => {
      const target = await world.machine('stopped');
      const start = await world.provider.power(target, 'start', context);
      if (!start.accepted) throw new Error(start.detail);
      const up = await watch(target, start.taskRef, 'running');
      expect(up.at(-1)).toBe('running');
      expect(up.every((s) => ['stopped', 'starting', 'running'].includes(s))).toBe(true);
      const stop = await world.provider.power(target, 'stop', context);
      if (!stop.accepted) throw new Error(stop.detail);
      const down = await watch(target, stop.taskRef, 'stopped');
      expect(down.at(-1)).toBe('stopped');
      expect(down.every((s) => ['running', 'stopping', 'stopped'].includes(s))).toBe(true);
      expect(MACHINE_STATES).toEqual(expect.arrayContaining([...up, ...down]));
    });

    it('follows a task while it runs, to a good end', async (test) => {
      if (world.provider.followTask === undefined) return test.skip('the back-end has no tasks');
      const target = await world.machine('stopped');
      const start = await world.provider.power(target, 'start', context);
      const taskRef = start.accepted ? start.taskRef : null;
      if (taskRef === null) throw new Error('no task');
      const looks: TaskOutcome[] = [await follow(target, taskRef)];
      expect(looks[0]).toEqual({ read: true, done: false });
      while (looks.length < MAX_LOOKS && !ended(looks.at(-1))) {
        world.letTimePass?.();
        looks.push(await follow(target, taskRef));
      }
      expect(looks.at(-1)).toMatchObject({ read: true, done: true, ok: true });
    });

    it('follows a task while it runs, to a failed end', async (test) => {
      if (world.failNextTask === undefined) return test.skip('the back-end tasks always succeed');
      const target = await world.machine('stopped');
      world.failNextTask('VM is locked (backup)');
      const start = await world.provider.power(target, 'start', context);
      const taskRef = start.accepted ? start.taskRef : null;
      if (taskRef === null) throw new Error('no task');
      const looks: TaskOutcome[] = [await follow(target, taskRef)];
      expect(looks[0]).toEqual({ read: true, done: false });
      while (looks.length < MAX_LOOKS && !ended(looks.at(-1))) {
        world.letTimePass?.();
        looks.push(await follow(target, taskRef));
      }
      expect(looks.at(-1)).toEqual({
        read: true,
        done: true,
        ok: false,
        detail: 'VM is locked (backup)',
      });
      expect(await state(world.provider, target)).toMatchObject({ state: 'stopped' });
    });

    it('answers a server error with a failure value', async () => {
      const target = world.failWith5xx(await world.machine('stopped'));
      const outcome = await state(world.provider, target);
      expect(outcome).toMatchObject({ read: false });
      expect(outcome.read ? 0 : outcome.upstreamStatus).toBeGreaterThanOrEqual(500);
      expect(outcome.detail).not.toBe('');
    });

    it('answers a timeout when the upstream never answers', async () => {
      const target = world.hang(await world.machine('stopped'));
      expect(await state(world.provider, target)).toMatchObject({
        read: false,
        failure: 'timeout',
      });
    });

    it('answers "unreachable" when the connection is refused', async (test) => {
      if (world.unreachable === undefined)
        return test.skip('an in-process provider has no connection');
      const provider = world.unreachable();
      try {
        const outcome = await state(provider, await world.machine('stopped'));
        expect(outcome).toMatchObject({ read: false, failure: 'unreachable' });
        expect(outcome.detail).toMatch(/connection refused/);
      } finally {
        await provider.close();
      }
    });

    it('answers "auth" when the credential is refused (401)', async (test) => {
      if (world.badCredential === undefined)
        return test.skip('an in-process provider has no credential');
      const provider = world.badCredential();
      try {
        expect(await state(provider, await world.machine('running'))).toMatchObject({
          read: false,
          failure: 'auth',
          upstreamStatus: 401,
        });
      } finally {
        await provider.close();
      }
    });

    it('answers "not_found" for a machine the upstream does not have', async (test) => {
      if (world.missing === undefined) return test.skip('every name is a simulated machine');
      expect(await state(world.provider, world.missing())).toMatchObject({
        read: false,
        failure: 'not_found',
      });
    });

    it('answers a 429 with how long to wait, from Retry-After', async (test) => {
      if (world.rateLimit === undefined) return test.skip('an in-process provider has no limit');
      const target = world.rateLimit(await world.machine('running'), 7);
      expect(await state(world.provider, target)).toMatchObject({
        read: false,
        failure: 'rate_limited',
        upstreamStatus: 429,
        retryAfterMs: 7_000,
      });
    });
  });
};
