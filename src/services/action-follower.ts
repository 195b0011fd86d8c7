import { randomBase62 } from '../domain/base62.js';
import type { Log } from '../logger.js';
import type { ActionObserver } from '../metrics/observers.js';
import type { PowerContext, PowerTarget } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type {
  ActionSettlement,
  ActionStore,
  FollowedAction,
  ResourceStore,
} from '../store/store.js';
import { providerOfMachine } from './action-sender.js';
import {
  DEADLINES_MS,
  type Look,
  nextLookAt,
  pastDeadline,
  progressOf,
  readState,
  readTask,
  type Verdict,
} from './follow-rules.js';
import type { PollBudget } from './poll-budget.js';

export interface FollowerOptions {
  readonly actions: Pick<ActionStore, 'claim' | 'settle'>;
  readonly resources: Pick<ResourceStore, 'get'>;
  readonly providers: Pick<ProviderRegistry, 'get'>;
  readonly budget: PollBudget;
  readonly logger: Log;
  readonly observer?: ActionObserver;
  /** `HEO_FOLLOW_LEASE_MS`. */
  readonly leaseMs: number;
  /** `HEO_FOLLOW_POLL_MS` and `HEO_FOLLOW_POLL_MAX_MS`. */
  readonly schedule: { readonly firstMs: number; readonly maxMs: number };
  /** `HEO_FOLLOW_DEADLINE_MS`, or `null` for each back-end's own. */
  readonly deadlineMs: number | null;
  /** Looks in flight at most, over every provider. */
  readonly maxInFlight?: number;
  readonly now?: () => number;
}

/** Time between two rounds of claiming and writing. */
const TICK_MS = 200;
/** How long `close` waits for looks in flight before it writes what it has. */
const CLOSE_WAIT_MS = 2_000;
const DEFAULT_MAX_IN_FLIGHT = 64;

interface Done {
  readonly action: FollowedAction;
  readonly settlement: ActionSettlement;
  readonly provider: string;
}

/**
 * Follows accepted actions to their end, on every instance at once without two of them looking at
 * one action: every round it writes what its finished looks found (one transaction for all of
 * them), then claims due actions for the looks it has room for. A claim is a lease in the store
 * (`actions.next_check_at` moved one lease ahead), so the actions of an instance that died, or of
 * one that lost its store, are due again when their lease runs out, and an instance that comes
 * back after `kill -9` simply finds them due. Looks back off from `schedule.firstMs`, and every
 * call a look makes is admitted by the poll budget of its provider.
 */
export class ActionFollower {
  readonly #options: FollowerOptions;
  readonly #now: () => number;
  /** Names this instance's leases (`lease` of the actions it holds), for operators. */
  readonly instance = `${process.pid}.${randomBase62(6)}`;
  #claims = 0;
  #inFlight = 0;
  #done: Done[] = [];
  #round: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: FollowerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    if (this.#timer !== null || this.#closed) return;
    this.#timer = setInterval(() => void this.round(), TICK_MS);
    this.#timer.unref();
  }

  /** One round now: write finished looks, claim due actions. Rounds never overlap. */
  round(): Promise<void> {
    this.#round ??= this.#runRound().finally(() => {
      this.#round = null;
    });
    return this.#round;
  }

  /** Stops claiming; waits a little for looks in flight, and writes what they found. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const until = this.#now() + CLOSE_WAIT_MS;
    while (this.#inFlight > 0 && this.#now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await this.#round;
    await this.#flush();
  }

  async #runRound(): Promise<void> {
    await this.#flush();
    if (this.#closed) return;
    const room = (this.#options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT) - this.#inFlight;
    if (room <= 0) return;
    const now = this.#now();
    let claimed: FollowedAction[];
    try {
      claimed = await this.#options.actions.claim({
        lease: `${this.instance}.${++this.#claims}`,
        now,
        firstCheckBefore: now - this.#options.schedule.firstMs,
        leaseMs: this.#options.leaseMs,
        limit: room,
      });
    } catch (error) {
      this.#options.logger.warn(
        { err: error },
        'could not claim actions to follow; trying again shortly',
      );
      return;
    }
    for (const action of claimed) this.#follow(action);
  }

  #follow(action: FollowedAction): void {
    this.#inFlight++;
    this.#look(action)
      .then(
        (done) => {
          this.#done.push(done);
        },
        (error: unknown) => {
          // Its lease runs out, and the action is looked at again then.
          this.#options.logger.error(
            { err: error, actionId: action.id },
            'looking at an action failed',
          );
        },
      )
      .finally(() => {
        this.#inFlight--;
      });
  }

  /** Writes the finished looks in one transaction; a failed write leaves them to their leases. */
  async #flush(): Promise<void> {
    if (this.#done.length === 0) return;
    const batch = this.#done;
    this.#done = [];
    let written: ReadonlySet<string>;
    try {
      written = await this.#options.actions.settle(batch.map((done) => done.settlement));
    } catch (error) {
      this.#options.logger.warn(
        { err: error, actions: batch.length },
        'could not record what the follower found; the actions will be looked at again',
      );
      return;
    }
    for (const { action, settlement, provider } of batch) {
      if (!written.has(action.id) || settlement.finishedAt === null) continue;
      this.#options.logger.info(
        {
          actionId: action.id,
          resourceType: action.resourceType,
          resourceId: action.resourceId,
          action: action.action,
          provider,
          status: settlement.status,
          error: settlement.error,
          looks: settlement.checks,
        },
        'action ended',
      );
      this.#options.observer?.actionEnded(
        provider,
        action.action,
        settlement.status,
        (settlement.finishedAt - action.requestedAt) / 1000,
      );
    }
  }

  async #look(action: FollowedAction): Promise<Done> {
    const provider = action.provider ?? '';
    const settle = (verdict: Verdict, deadlineAt: number, retryAfterMs = 0): Done =>
      this.#settle(action, provider, verdict, deadlineAt, retryAfterMs);
    const machine = await this.#options.resources.get(action.resourceType, action.resourceId);
    if (machine === undefined || machine.provider !== action.provider) {
      // Removed from heo-power, or moved to another back-end: nothing left to follow it on.
      return settle({ kind: 'ended', status: 'failed', error: 'machine_removed' }, 0);
    }
    const context: PowerContext = {
      requestId: `follow-${action.id}`,
      logger: this.#options.logger,
    };
    const found = await providerOfMachine(this.#options.providers, provider, context.logger);
    if (!('provider' in found)) {
      // Its type is unknown while it cannot be built: the longest deadline of any back-end.
      const longest = Math.max(...Object.values(DEADLINES_MS).map((own) => own[action.action]));
      const deadlineAt = action.requestedAt + (this.#options.deadlineMs ?? longest);
      const progress = progressOf(action.progress);
      return settle({ kind: 'open', progress, failure: 'unreachable' }, deadlineAt);
    }
    const backend = found.provider;
    const deadlineAt =
      action.requestedAt + (this.#options.deadlineMs ?? DEADLINES_MS[backend.type][action.action]);
    const target: PowerTarget = {
      resourceType: machine.type,
      resourceId: machine.id,
      ref: machine.ref,
    };
    const look: Look = {
      action: action.action,
      providerType: backend.type,
      requestedAt: action.requestedAt,
      progress: progressOf(action.progress),
      now: this.#now(),
    };
    let progress = look.progress;
    let taskFailed = false;
    if (action.taskRef !== null && backend.followTask !== undefined && progress === null) {
      const taskRef = action.taskRef;
      const followTask = backend.followTask.bind(backend);
      const task = await this.#call(provider, () => followTask(target, taskRef, context));
      if (!task.granted) return this.#wait(action, provider, progress, task.retryAt);
      const read = readTask(look, task.value);
      if ('verdict' in read)
        return settle(read.verdict, deadlineAt, this.#retryAfter(provider, read.verdict));
      progress = read.progress;
      taskFailed = read.taskFailed;
    }
    const state = await this.#call(provider, () => backend.state(target, context));
    if (!state.granted) return this.#wait(action, provider, progress, state.retryAt);
    const verdict = readState({ ...look, progress, now: this.#now() }, state.value, taskFailed);
    return settle(verdict, deadlineAt, this.#retryAfter(provider, verdict));
  }

  /** One provider call, if the provider's poll budget has room for it now. */
  async #call<T>(
    provider: string,
    call: () => Promise<T>,
  ): Promise<{ granted: true; value: T } | { granted: false; retryAt: number }> {
    const slot = await this.#options.budget.acquire(provider);
    if (!slot.granted) return slot;
    try {
      return { granted: true, value: await call() };
    } finally {
      slot.release();
    }
  }

  /** A back-end that asked to slow down is left alone for as long as it asked. */
  #retryAfter(provider: string, verdict: Verdict): number {
    if (verdict.kind !== 'open' || verdict.failure !== 'rate_limited') return 0;
    const ms = verdict.retryAfterMs ?? this.#options.schedule.maxMs;
    this.#options.budget.pause(provider, ms);
    return ms;
  }

  /** No room in the provider's budget: no look was made; the action is due again at `retryAt`. */
  #wait(action: FollowedAction, provider: string, progress: string | null, retryAt: number): Done {
    return {
      action,
      provider,
      settlement: {
        id: action.id,
        lease: action.lease,
        status: action.status,
        error: null,
        finishedAt: null,
        nextCheckAt: retryAt,
        checks: action.checks,
        progress,
      },
    };
  }

  #settle(
    action: FollowedAction,
    provider: string,
    found: Verdict,
    deadlineAt: number,
    retryAfterMs: number,
  ): Done {
    const now = this.#now();
    const checks = action.checks + 1;
    const verdict = found.kind === 'open' && now >= deadlineAt ? pastDeadline(found) : found;
    const settlement: ActionSettlement =
      verdict.kind === 'ended'
        ? {
            id: action.id,
            lease: action.lease,
            status: verdict.status,
            error: verdict.error,
            finishedAt: now,
            nextCheckAt: null,
            checks,
            progress: action.progress,
          }
        : {
            id: action.id,
            lease: action.lease,
            status: 'in_progress',
            error: null,
            finishedAt: null,
            nextCheckAt: nextLookAt(now, checks, this.#options.schedule, deadlineAt, retryAfterMs),
            checks,
            progress: verdict.progress,
          };
    return { action, provider, settlement };
  }
}
