import { setTimeout as sleep } from 'node:timers/promises';
import type { PowerAction } from '../../domain/power.js';
import { BoundedCache } from '../../lib/bounded-cache.js';
import type { Log } from '../../logger.js';
import {
  accepted,
  type PowerContext,
  type PowerOutcome,
  type PowerProvider,
  type PowerTarget,
  type ProbeResult,
  type ReadFailed,
  readFailed,
  refused,
  type StateOutcome,
  stateRead,
  TASK_RUNNING,
  taskEnded,
  type TaskOutcome,
} from '../provider.js';
import { plan, type SimulatedState } from './machine.js';

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
  state: SimulatedState;
  since: number;
  later: readonly SimulatedState[];
  actions: number;
}

/** A simulated task: the action's transitions, ending when the last of them is due. */
interface Task {
  readonly ref: string;
  readonly endsAt: number;
}

/** Tasks remembered for `followTask`; older ones are forgotten (then: not found). */
const MAX_TASKS = 10_000;

/** Machines whose ref starts with this refuse every action, to try out error handling. */
export const FAILING_REF_PREFIX = 'fail-';
/** Machines whose ref starts with this never answer, so calls to them time out. */
export const HANGING_REF_PREFIX = 'hang-';

export interface MachineSnapshot {
  readonly state: SimulatedState;
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
  readonly #tasks = new BoundedCache<string, Task>(MAX_TASKS);
  #taskCount = 0;

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
      const failed = await this.#hang();
      return refused(failed.failure, failed.detail);
    }
    const machine = this.#settled(ref);
    machine.actions++;
    const next = plan(machine.state, action);
    if (next.kind === 'already') return accepted(this.#task(action, ref, 0), 200, true);
    if (next.kind === 'refuse') return refused('conflict', `${next.reason}: ${ref}`, 409);
    context.logger.debug(
      { provider: this.#options.name, ref, from: machine.state, to: [next.now, ...next.later] },
      'simulated action',
    );
    machine.state = next.now;
    machine.since = this.#now();
    machine.later = next.later;
    return accepted(this.#task(action, ref, next.later.length), 200);
  }

  /** The machine's state now; `fail-` machines fail the read, `hang-` ones never answer it. */
  async state(target: PowerTarget): Promise<StateOutcome> {
    const { ref } = target;
    if (ref.startsWith(FAILING_REF_PREFIX))
      return readFailed('upstream_error', `simulated failure reading ${ref}`, 500);
    if (ref.startsWith(HANGING_REF_PREFIX)) return this.#hang();
    return stateRead(this.#settled(ref).state);
  }

  /** A task ends when the last transition of its action is due, always well. */
  async followTask(target: PowerTarget, taskRef: string): Promise<TaskOutcome> {
    if (target.ref.startsWith(HANGING_REF_PREFIX)) return this.#hang();
    const task = this.#tasks.get(taskRef);
    if (task === undefined)
      return readFailed('not_found', `no simulated task ${taskRef} (tasks are kept in memory)`);
    if (task.ref !== target.ref)
      return readFailed('rejected', `the simulated task ${taskRef} is not for ${target.ref}`);
    return this.#now() < task.endsAt ? TASK_RUNNING : taskEnded(true, 'OK');
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

  /** A new task for `action`, ending after `steps` transitions. */
  #task(action: PowerAction, ref: string, steps: number): string {
    this.#taskCount++;
    const taskRef = `SIM:${this.#options.name}:${this.#taskCount.toString(16).padStart(8, '0')}:${action}:${ref}`;
    this.#tasks.set(taskRef, { ref, endsAt: this.#now() + steps * this.#options.transitionMs });
    return taskRef;
  }

  async #hang(): Promise<ReadFailed> {
    await sleep(this.#options.timeoutMs, undefined, { signal: this.#abort.signal }).catch(
      () => undefined,
    );
    return readFailed('timeout', `no answer within ${this.#options.timeoutMs} ms`);
  }
}
