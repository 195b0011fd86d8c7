import type { MachineState, PowerAction, ResourceType } from '../domain/power.js';
import type { Log, Logger } from '../logger.js';
import type { SecretSealer } from '../secrets/secret-box.js';
import type { JsonObject, ProviderRecord } from '../store/store.js';
import type { ProviderType } from './provider-type.js';

/** The machine a power action is for, as its provider knows it. */
export interface PowerTarget {
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  /** The provider reference of the resource (`pve1/qemu/100`, a panel identifier...). */
  readonly ref: string;
}

export interface PowerContext {
  readonly requestId: string;
  readonly logger: Log;
}

/** Why a provider did not accept an action; goes to logs and audit, never to customers. */
export type ProviderFailure =
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'auth'
  | 'not_found'
  | 'conflict'
  /** The machine is not running, and the action needs it to be (a reset of a stopped VPS). */
  | 'not_running'
  /** The machine is suspended by the back-end (unpaid, locked by its operator). */
  | 'suspended'
  | 'rejected'
  | 'upstream_error'
  | 'unsupported'
  /** The back-end asked to slow down (HTTP 429); see `retryAfterMs`. */
  | 'rate_limited';

export interface PowerAccepted {
  readonly accepted: true;
  /** The provider's handle on the work it started (a Proxmox UPID...), if it gives one. */
  readonly taskRef: string | null;
  readonly upstreamStatus: number | null;
  /** The machine already was in (or heading to) the requested state. */
  readonly alreadyInState: boolean;
  /** What the provider said or did along the way, redacted: for the log and the audit record. */
  readonly detail: string | null;
}

export interface PowerRefused {
  readonly accepted: false;
  readonly failure: ProviderFailure;
  readonly upstreamStatus: number | null;
  /** What went wrong upstream, redacted: safe for the log and the audit record. */
  readonly detail: string;
}

export type PowerOutcome = PowerAccepted | PowerRefused;

/** A machine's power state, read from its provider. */
export interface StateRead {
  readonly read: true;
  readonly state: MachineState;
  /** What the provider reported, redacted (e.g. `status running, qmpstatus paused`): for logs. */
  readonly detail: string | null;
  /** How long the machine has been up, when the back-end tells (it proves a restart happened). */
  readonly uptimeMs?: number;
}

/**
 * Why a read (a state, a task) gave no answer. Like a refusal, it goes to logs and audit records
 * only, never to customers.
 */
export interface ReadFailed {
  readonly read: false;
  readonly failure: ProviderFailure;
  readonly upstreamStatus: number | null;
  /** What went wrong upstream, redacted: safe for the log and the audit record. */
  readonly detail: string;
  /**
   * How long the back-end asked to wait before the next call (a 429's `Retry-After`), when it
   * said; a poller backs off at least this long.
   */
  readonly retryAfterMs?: number;
}

export type StateOutcome = StateRead | ReadFailed;

/** The task still runs. */
export interface TaskRunning {
  readonly read: true;
  readonly done: false;
}

/** The task has ended, well or not. */
export interface TaskEnded {
  readonly read: true;
  readonly done: true;
  /** It did what it was started for (Proxmox: exit status `OK` or `WARNINGS: n`). */
  readonly ok: boolean;
  /** How it ended, redacted (Proxmox: the exit status, e.g. `VM 100 already running`). */
  readonly detail: string | null;
}

/** Check `read` first: a failed read has no `done`. */
export type TaskOutcome = TaskRunning | TaskEnded | ReadFailed;

export interface ProbeResult {
  readonly ok: boolean;
  /** Why the check failed, when it did. */
  readonly failure?: ProviderFailure;
  /** Words an operator can act on: what was checked, and what is wrong. */
  readonly message: string;
}

/**
 * A back-end that runs machines. A refusal is a value, not an exception: adapters translate every
 * upstream failure at their edge, and throw only on bugs.
 */
export interface PowerProvider {
  readonly type: ProviderType;
  power(target: PowerTarget, action: PowerAction, context: PowerContext): Promise<PowerOutcome>;
  /** One read of the machine's current power state; failures are values. */
  state(target: PowerTarget, context: PowerContext): Promise<StateOutcome>;
  /**
   * One look at a task the provider started for an action (`PowerAccepted.taskRef`): still
   * running, or ended and how. Only back-ends with tasks have it (Proxmox, the simulator).
   */
  followTask?(target: PowerTarget, taskRef: string, context: PowerContext): Promise<TaskOutcome>;
  /** A harmless call that checks reachability and credentials. */
  probe(): Promise<ProbeResult>;
  close(): Promise<void>;
}

export interface ProviderDependencies {
  readonly logger: Logger;
  /** `HEO_PROVIDER_TIMEOUT_MS`, unless the provider's settings override it. */
  readonly defaultTimeoutMs: number;
  /** Opens the provider's sealed credential (`record.secret`). */
  readonly secrets: Pick<SecretSealer, 'open'>;
}

/** What an operator gives when registering a provider; each type takes what it needs. */
export interface ProviderOptions {
  readonly url?: string;
  readonly token?: string;
  /** Path of a PEM file with the CA certificate(s) that signed the provider's certificate. */
  readonly caFile?: string;
  /** The same certificate(s) as PEM text (the admin API); excludes `caFile`. */
  readonly caPem?: string;
  readonly insecureTls?: boolean;
  readonly timeoutMs?: number;
  readonly transitionMs?: number;
}

/** A credential to seal, and the masked hint that listings may show instead. */
export interface ProviderCredential {
  readonly value: string;
  readonly hint: string;
}

/** Settings to store for a provider, and the credential to seal (never stored in the clear). */
export interface ProviderConfiguration {
  readonly settings: JsonObject;
  readonly credential?: ProviderCredential;
}

/** Everything heo-power knows about one provider type. */
export interface ProviderFactory {
  readonly type: ProviderType;
  /** Which endpoint families the type can serve. */
  readonly resourceTypes: readonly ResourceType[];
  /** Describes the `--ref` format for operators. */
  readonly refFormat: string;
  /** `null` when `ref` is valid for this type and resource type, else why not. */
  checkRef(resourceType: ResourceType, ref: string): string | null;
  /**
   * Validates operator options into stored settings and a credential; throws `AdminError` with a
   * one-line message on bad input. May read files named by the options (`caFile`).
   */
  configure(options: ProviderOptions): ProviderConfiguration;
  /** Checks a new credential for an existing provider; throws `AdminError` if it is malformed. */
  credentialOf(token: string): ProviderCredential;
  create(record: ProviderRecord, dependencies: ProviderDependencies): PowerProvider;
}

export const accepted = (
  taskRef: string | null,
  upstreamStatus: number | null,
  alreadyInState = false,
  detail: string | null = null,
): PowerAccepted => ({ accepted: true, taskRef, upstreamStatus, alreadyInState, detail });

export const refused = (
  failure: ProviderFailure,
  detail: string,
  upstreamStatus: number | null = null,
): PowerRefused => ({ accepted: false, failure, upstreamStatus, detail });

export const stateRead = (
  state: MachineState,
  detail: string | null = null,
  uptimeMs?: number,
): StateRead =>
  uptimeMs === undefined ? { read: true, state, detail } : { read: true, state, detail, uptimeMs };

export const readFailed = (
  failure: ProviderFailure,
  detail: string,
  upstreamStatus: number | null = null,
  retryAfterMs?: number,
): ReadFailed =>
  retryAfterMs === undefined
    ? { read: false, failure, upstreamStatus, detail }
    : { read: false, failure, upstreamStatus, detail, retryAfterMs };

export const TASK_RUNNING: TaskRunning = Object.freeze({ read: true, done: false });

export const taskEnded = (ok: boolean, detail: string | null): TaskEnded => ({
  read: true,
  done: true,
  ok,
  detail,
});
