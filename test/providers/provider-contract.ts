import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PowerAction, ResourceType } from '../../src/domain/power.js';
import type { PowerProvider, PowerTarget } from '../../src/providers/provider.js';
import { captureLogs } from '../helpers/log-capture.js';

/**
 * What every provider adapter must do, run against the simulator and against each adapter talking
 * to its fake upstream. A world owns the upstream and builds the provider under test.
 */
export interface ProviderWorld {
  readonly family: ResourceType;
  readonly provider: PowerProvider;
  /** A new machine at the upstream, in this state. */
  machine(state: 'running' | 'stopped'): Promise<PowerTarget>;
  /** Whether the machine is up, or on its way up, at the upstream. */
  isUp(target: PowerTarget): boolean;
  /** How many power requests the upstream has received so far. */
  powerRequests(): number;
  /** Power requests one action sends when it is accepted (a container reset sends two). */
  postsFor(action: PowerAction): number;
  /** Makes the upstream answer this machine's calls with a server error. */
  failWith5xx(target: PowerTarget): PowerTarget;
  /** Makes the upstream never answer this machine's calls. */
  hang(target: PowerTarget): PowerTarget;
  /** The provider, pointed at a port where nothing listens (not for in-process providers). */
  unreachable?(): PowerProvider;
  /** The provider, with a credential the upstream refuses (not for in-process providers). */
  badCredential?(): PowerProvider;
  /** Makes the upstream drop the connection after receiving the request, without answering. */
  dropConnection?(target: PowerTarget): PowerTarget;
  /** Secrets the provider holds: they must appear in no detail and no log line. */
  readonly secrets: readonly string[];
  /** Moves the upstream's clock on by one transition (for back-ends that move by time). */
  letTimePass?(): void;
  /** A machine the upstream does not have (not for the simulator, where any name is one). */
  missing?(): PowerTarget;
  /** Makes the upstream answer this machine's calls with 429 and `Retry-After: seconds`. */
  rateLimit?(target: PowerTarget, seconds: number): PowerTarget;
  /** Makes the next task the upstream starts end in failure with this text. */
  failNextTask?(exitstatus: string): void;
  close(): Promise<void>;
}

const ACTIONS: Readonly<Record<ResourceType, readonly PowerAction[]>> = {
  vps: ['start', 'stop', 'reset'],
  game: ['start', 'stop', 'restart', 'kill'],
};

/** The state each action starts from, and whether the machine is up afterwards. */
const SCENARIOS: Readonly<
  Record<PowerAction, { from: 'running' | 'stopped'; up: boolean | 'either' }>
> = {
  start: { from: 'stopped', up: true },
  stop: { from: 'running', up: false },
  reset: { from: 'running', up: true },
  // A restart goes down first; whether it shows as up yet depends on the back-end's timing.
  restart: { from: 'running', up: 'either' },
  kill: { from: 'running', up: false },
};

export const runProviderContract = (name: string, open: () => Promise<ProviderWorld>): void => {
  describe(`provider contract: ${name}`, () => {
    let world: ProviderWorld;
    const context = { requestId: 'contract', logger: captureLogs('silent').logger };

    beforeAll(async () => {
      world = await open();
    });
    afterAll(async () => {
      await world.close();
    });

    /** Runs one call and returns its outcome and the power requests it sent. */
    const call = async (provider: PowerProvider, target: PowerTarget, action: PowerAction) => {
      const before = world.powerRequests();
      const outcome = await provider.power(target, action, context);
      return { outcome, sent: world.powerRequests() - before };
    };

    it('serves every action of its family, each sent exactly once', async () => {
      for (const action of ACTIONS[world.family]) {
        const scenario = SCENARIOS[action];
        const target = await world.machine(scenario.from);
        const { outcome, sent } = await call(world.provider, target, action);
        expect({ action, outcome }).toMatchObject({ action, outcome: { accepted: true } });
        expect({ action, sent }).toEqual({ action, sent: world.postsFor(action) });
        if (scenario.up !== 'either')
          expect({ action, up: world.isUp(target) }).toEqual({ action, up: scenario.up });
      }
    });

    it('accepts "already in that state" (start a running machine, stop a stopped one)', async () => {
      const running = await world.machine('running');
      const started = await call(world.provider, running, 'start');
      expect(started.outcome.accepted).toBe(true);
      expect(started.sent).toBe(1);
      expect(world.isUp(running)).toBe(true);
      const stopped = await world.machine('stopped');
      const stop = await call(world.provider, stopped, 'stop');
      expect(stop.outcome.accepted).toBe(true);
      expect(stop.sent).toBe(1);
      expect(world.isUp(stopped)).toBe(false);
    });

    it('refuses a server error, having sent the action once', async () => {
      const target = world.failWith5xx(await world.machine('stopped'));
      const { outcome, sent } = await call(world.provider, target, 'start');
      expect(outcome).toMatchObject({ accepted: false });
      expect(outcome.upstreamStatus).toBeGreaterThanOrEqual(500);
      expect(outcome.accepted ? '' : outcome.detail).not.toBe('');
      expect(sent).toBe(1);
    });

    it('refuses with a timeout when the upstream never answers, and does not resend', async () => {
      const target = world.hang(await world.machine('stopped'));
      const { outcome, sent } = await call(world.provider, target, 'start');
      expect(outcome).toMatchObject({ accepted: false, failure: 'timeout' });
      expect(sent).toBe(1);
    });

    it('refuses when the connection is refused', async (test) => {
      if (world.unreachable === undefined)
        return test.skip('an in-process provider has no connection');
      const provider = world.unreachable();
      try {
        const outcome = await provider.power(await world.machine('stopped'), 'start', context);
        expect(outcome).toMatchObject({ accepted: false, failure: 'unreachable' });
        expect(outcome.accepted ? '' : outcome.detail).toMatch(/connection refused/);
      } finally {
        await provider.close();
      }
    });

    it('refuses when the upstream does not accept the credential', async (test) => {
      if (world.badCredential === undefined)
        return test.skip('an in-process provider has no credential');
      const provider = world.badCredential();
      try {
        const target = await world.machine('stopped');
        const { outcome, sent } = await call(provider, target, 'start');
        expect(outcome).toMatchObject({ accepted: false, failure: 'auth', upstreamStatus: 401 });
        expect(sent).toBe(1);
        expect(world.isUp(target)).toBe(false);
      } finally {
        await provider.close();
      }
    });

    it('does not resend a power call whose connection dropped after it was sent', async (test) => {
      if (world.dropConnection === undefined)
        return test.skip('an in-process provider has no connection');
      const target = world.dropConnection(await world.machine('stopped'));
      const { outcome, sent } = await call(world.provider, target, 'start');
      expect(outcome).toMatchObject({ accepted: false, failure: 'unreachable' });
      expect(sent).toBe(1);
    });

    it('probes successfully', async () => {
      expect(await world.provider.probe()).toMatchObject({ ok: true });
    });
  });
};
