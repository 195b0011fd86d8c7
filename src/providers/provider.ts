import type { PowerAction, ResourceType } from '../domain/power.js';
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
  | 'unsupported';

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
