import type { PowerAction, ResourceType } from '../domain/power.js';
import type { ProviderFailure } from '../providers/provider.js';
import type { ActionStatus } from '../store/store.js';

/**
 * What the service tells its observers (the Prometheus metrics, when they are on). Observers must
 * be cheap and never throw: they are called on the request path.
 */

/** The route label of requests that matched no route: a path is never a label. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Labels of a completed request. `family` and `action` are set on power routes only. */
export interface RequestLabels {
  /** The route template (`/v1/hosting/cloud/vps-custom/:id/start`), or `unmatched`. */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly family?: ResourceType;
  readonly action?: PowerAction;
}

/** Told about every answered request. */
export interface RequestObserver {
  requestCompleted(labels: RequestLabels, seconds: number): void;
}

/** `missing`: no `Authorization` header; `invalid`: anything else that is not a usable key. */
export type AuthenticationFailure = 'missing' | 'invalid' | 'ip_not_allowed';

/** Told about the refusals of authentication and of the rate limit. */
export interface AccessObserver {
  authenticationFailed(reason: AuthenticationFailure): void;
  rateLimited(family: ResourceType, action: PowerAction): void;
  /** A request refused because its address used up its budget of failed authentications. */
  addressRefused(): void;
}

/**
 * How a provider call ended: accepted (`already_in_state` when the machine was there already), the
 * `ProviderFailure` of a refusal, or `error` when the adapter threw.
 */
export type ProviderCallOutcome = 'accepted' | 'already_in_state' | 'error' | ProviderFailure;

/** Told about every call to a provider. */
export interface ProviderCallObserver {
  providerCalled(
    provider: string,
    action: PowerAction,
    outcome: ProviderCallOutcome,
    seconds: number,
  ): void;
}

/** Told about every followed action that ended: how, and how long after its request. */
export interface ActionObserver {
  actionEnded(provider: string, action: PowerAction, status: ActionStatus, seconds: number): void;
}

/** How a webhook attempt ended: delivered, failed with a retry to come, or failed for good. */
export type WebhookOutcome = 'delivered' | 'retrying' | 'failed';

/** Told about every webhook delivery attempt. */
export interface WebhookObserver {
  webhookDelivered(outcome: WebhookOutcome, seconds: number): void;
}

/** Everything the service reports. */
export type ServiceObserver = RequestObserver &
  AccessObserver &
  ProviderCallObserver &
  ActionObserver;
