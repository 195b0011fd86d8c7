import type { MachineState, PowerAction } from '../domain/power.js';
import type { ProviderType } from '../providers/provider-type.js';
import type { ProviderFailure, StateOutcome, TaskOutcome } from '../providers/provider.js';
import type { ActionStatus } from '../store/store.js';

/**
 * How heo-power decides that an accepted action has ended, from what its back-end says. Pure
 * functions of the observations: the follower (`action-follower.ts`) makes the calls, these rules
 * read them.
 */

/** Where each action leaves a machine that did it. */
export const TARGET_STATE: Readonly<Record<PowerAction, MachineState>> = {
  start: 'running',
  stop: 'stopped',
  kill: 'stopped',
  reset: 'running',
  restart: 'running',
};

/** A reset or restart ends `running`, as it began: it must be seen to have happened. */
const cycles = (action: PowerAction): boolean => action === 'reset' || action === 'restart';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * How long after its request an action may take before it ends `timed_out`, per back-end and
 * action (`HEO_FOLLOW_DEADLINE_MS` replaces them all). Game servers load worlds and mods: their
 * starts are given longest.
 */
export const DEADLINES_MS: Readonly<Record<ProviderType, Readonly<Record<PowerAction, number>>>> = {
  proxmox: {
    start: 2 * MINUTE,
    stop: 2 * MINUTE,
    reset: 2 * MINUTE,
    restart: 5 * MINUTE,
    kill: MINUTE,
  },
  pterodactyl: {
    start: 10 * MINUTE,
    stop: 5 * MINUTE,
    restart: 15 * MINUTE,
    kill: MINUTE,
    reset: 15 * MINUTE,
  },
  simulator: { start: MINUTE, stop: MINUTE, reset: MINUTE, restart: MINUTE, kill: MINUTE },
};

/**
 * How old a state reading may be when it arrives: the panel caches `resources` for 20 s per
 * server, so an uptime read from it may have been measured up to 20 s earlier.
 */
export const STATE_STALENESS_MS: Readonly<Record<ProviderType, number>> = {
  proxmox: 0,
  pterodactyl: 20 * SECOND,
  simulator: 0,
};

/** What the follower has learnt of an action across its looks (`actions.progress`). */
export type Progress =
  /** Its back-end task ended well; the machine's state is what is left to see. */
  | 'task_ok'
  /** Its task cannot be read (the back-end forgot it): only the machine's state tells. */
  | 'task_lost'
  /** The machine was seen out of `running` since the request: a cycle has begun. */
  | 'left_running';

export const progressOf = (raw: string | null): Progress | null =>
  raw === 'task_ok' || raw === 'task_lost' || raw === 'left_running' ? raw : null;

/**
 * The stable codes an action's `error` may hold. `task_failed`: the back-end's task ended in an
 * error; `machine_removed`: the machine left heo-power (or its back-end) while being followed;
 * `deadline_exceeded`: the machine did not get there in time; `provider_unreachable`: the back-end
 * could not be read until the deadline.
 */
export type ActionError =
  'task_failed' | 'machine_removed' | 'deadline_exceeded' | 'provider_unreachable';

/** The end of an action, or where it stands after a look that did not end it. */
export type Verdict =
  | { readonly kind: 'ended'; readonly status: ActionStatus; readonly error: ActionError | null }
  | {
      readonly kind: 'open';
      readonly progress: Progress | null;
      /** The look failed (the back-end did not answer); `rate_limited` backs off further. */
      readonly failure: ProviderFailure | null;
      readonly retryAfterMs?: number;
    };

export interface Look {
  readonly action: PowerAction;
  readonly providerType: ProviderType;
  readonly requestedAt: number;
  readonly progress: Progress | null;
  /** When the reading was taken. */
  readonly now: number;
}

const open = (progress: Progress | null): Verdict => ({ kind: 'open', progress, failure: null });
const ended = (status: ActionStatus, error: ActionError | null = null): Verdict => ({
  kind: 'ended',
  status,
  error,
});
const failedRead = (
  progress: Progress | null,
  outcome: { failure: ProviderFailure; retryAfterMs?: number },
): Verdict =>
  outcome.retryAfterMs === undefined
    ? { kind: 'open', progress, failure: outcome.failure }
    : { kind: 'open', progress, failure: outcome.failure, retryAfterMs: outcome.retryAfterMs };

/**
 * What a look at the action's task says. `null`: the task ended well, or cannot be read any more;
 * the machine's state decides (`progress` in the look says which).
 */
export const readTask = (
  look: Look,
  task: TaskOutcome,
): { verdict: Verdict } | { progress: Progress; taskFailed: boolean } => {
  if (!task.read) {
    return task.failure === 'not_found'
      ? { progress: 'task_lost', taskFailed: false }
      : { verdict: failedRead(look.progress, task) };
  }
  if (!task.done) return { verdict: open(look.progress) };
  return { progress: task.ok ? 'task_ok' : 'task_lost', taskFailed: !task.ok };
};

/**
 * What the machine's state says of the action. A cycle (reset, restart) succeeds once its task
 * ended well and the machine runs, or once the machine was seen out of `running` and runs again,
 * or when its uptime proves it started after the request (allowing for a stale reading); a machine
 * merely found running proves nothing. A failed task still ends well if the machine is where a
 * start or stop leaves it (Proxmox fails a start of a running VM).
 */
export const readState = (look: Look, state: StateOutcome, taskFailed = false): Verdict => {
  if (!state.read)
    return taskFailed ? ended('failed', 'task_failed') : failedRead(look.progress, state);
  const target = TARGET_STATE[look.action];
  if (!cycles(look.action)) {
    if (state.state === target) return ended('succeeded');
    return taskFailed ? ended('failed', 'task_failed') : open(look.progress);
  }
  if (taskFailed) return ended('failed', 'task_failed');
  if (state.state !== 'running') {
    return open(look.progress === 'task_ok' ? 'task_ok' : 'left_running');
  }
  if (look.progress === 'task_ok' || look.progress === 'left_running') return ended('succeeded');
  const startedAt =
    state.uptimeMs === undefined
      ? null
      : look.now - state.uptimeMs - STATE_STALENESS_MS[look.providerType];
  if (startedAt !== null && startedAt > look.requestedAt) return ended('succeeded');
  return open(look.progress);
};

/** An open verdict past the deadline ends the action; the last look tells why. */
export const pastDeadline = (verdict: Verdict): Verdict =>
  verdict.kind === 'ended'
    ? verdict
    : ended(
        'timed_out',
        verdict.failure === null || verdict.failure === 'rate_limited'
          ? 'deadline_exceeded'
          : 'provider_unreachable',
      );

/**
 * When to look again after `checks` looks: `firstMs`, growing by half each time, at most `maxMs`;
 * never before the back-end's `Retry-After`, never after the deadline (one last look then).
 */
export const nextLookAt = (
  now: number,
  checks: number,
  schedule: { readonly firstMs: number; readonly maxMs: number },
  deadlineAt: number,
  retryAfterMs = 0,
): number => {
  const backoff = Math.min(
    schedule.maxMs,
    Math.round(schedule.firstMs * 1.5 ** Math.max(0, checks - 1)),
  );
  const wait = Math.max(backoff, retryAfterMs);
  return Math.min(now + wait, Math.max(deadlineAt, now + retryAfterMs));
};
