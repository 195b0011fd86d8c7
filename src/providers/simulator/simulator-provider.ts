import { setTimeout as sleep } from 'node:timers/promises';
import type { PowerAction } from '../../domain/power.js';
import type { Log } from '../../logger.js';
import {
  accepted,
  type PowerContext,
  type PowerOutcome,
  type PowerProvider,
  type PowerTarget,
  type ProbeResult,
  refused,
} from '../provider.js';
import { type MachineState, plan } from './machine.js';

export interface SimulatorOptions {
  readonly name: string;
  /** How long each transition (`starting → running`...) takes. */
  readonly transitionMs: number;
  /** How long a call may take before it counts as a timeout. */
  readonly timeoutMs: number;
  readonly logger: Log;
  readonly now?: () => number;
}

/**
 * A machine's state is derived from the clock instead of driven by timers: it entered `state` at
 * `since` and goes through `later`, one state per transition delay. No timer per action.
 */
interface Machine {
  state: MachineState;
  since: number;
  later: readonly MachineState[];
  actions: number;
}

/** Machines whose ref starts with this refuse every action, to try out error handling. */
export const FAILING_REF_PREFIX = 'fail-';
/** Machines whose ref starts with this never answer, so calls to them time out. */
export const HANGING_REF_PREFIX = 'hang-';

export interface MachineSnapshot {
  readonly state: MachineState;
  /** Power actions the machine has received. */
  readonly actions: number;
}

/**
 * In-process machines with a power state that moves through realistic transitions. Every machine
 * starts `stopped`. State lives in memory: it resets when the server restarts.
 */
export class SimulatorProvider implements PowerProvider {
  readonly type = 'simulator' as const;
  readonly #options: SimulatorOptions;
  readonly #machines = new Map<string, Machine>();
  readonly #abort = new AbortController();
  readonly #now: () => number;
  #tasks = 0;

  constructor(options: SimulatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async power(
    target: PowerTarget,
    action: PowerAction,
    context: PowerContext,
  ): Promise<PowerOutcome> {
    const { ref } = target;
    if (ref.startsWith(FAILING_REF_PREFIX)) {
      return refused('rejected', `simulated refusal of ${action} for ${ref}`, 500);
    }
    if (ref.startsWith(HANGING_REF_PREFIX)) {
      await sleep(this.#options.timeoutMs, undefined, { signal: this.#abort.signal }).catch(
        () => undefined,
      );
      return refused('timeout', `no answer within ${this.#options.timeoutMs} ms`);
    }
    const machine = this.#settled(ref);
    machine.actions++;
    const next = plan(machine.state, action);
    if (next.kind === 'already') return accepted(this.#taskRef(action, ref), 200, true);
    if (next.kind === 'refuse') return refused('conflict', `${next.reason}: ${ref}`, 409);
    context.logger.debug(
      { provider: this.#options.name, ref, from: machine.state, to: [next.now, ...next.later] },
      'simulated action',
    );
    machine.state = next.now;
    machine.since = this.#now();
    machine.later = next.later;
    return accepted(this.#taskRef(action, ref), 200);
  }

  /** The state of one machine, for tests and demos. */
  machine(ref: string): MachineSnapshot {
    const machine = this.#settled(ref);
    return { state: machine.state, actions: machine.actions };
  }

  async probe(): Promise<ProbeResult> {
    return { ok: true, message: `simulator ready (${this.#machines.size} machines in memory)` };
  }

  async close(): Promise<void> {
    this.#abort.abort();
  }

  /** The machine, moved through every transition whose delay has passed. */
  #settled(ref: string): Machine {
    const now = this.#now();
    let machine = this.#machines.get(ref);
    if (machine === undefined) {
      machine = { state: 'stopped', since: now, later: [], actions: 0 };
      this.#machines.set(ref, machine);
    }
    const step = this.#options.transitionMs;
    while (machine.later.length > 0 && now - machine.since >= step) {
      const [state = machine.state, ...rest] = machine.later;
      machine.state = state;
      machine.since += step;
      machine.later = rest;
    }
    return machine;
  }

  #taskRef(action: PowerAction, ref: string): string {
    this.#tasks++;
    return `SIM:${this.#options.name}:${this.#tasks.toString(16).padStart(8, '0')}:${action}:${ref}`;
  }
}
