import { canAccess, type Principal, scopeAllows } from '../domain/access.js';
import { type ApiError, Errors } from '../domain/errors.js';
import { isValidId } from '../domain/ids.js';
import { confirmationRequired, type PowerAction, type PowerFamily } from '../domain/power.js';
import type { Log } from '../logger.js';
import type { PowerOutcome, PowerProvider, ProviderFailure } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { SecretError } from '../secrets/secret-error.js';
import { andThen, type MaybePromise } from '../lib/maybe-async.js';
import type { ResourceRecord } from '../store/store.js';
import type { Directory } from './directory.js';

export interface PowerCommand {
  readonly principal: Principal;
  readonly family: PowerFamily;
  readonly action: PowerAction;
  readonly resourceId: string;
  readonly confirmed: boolean;
  readonly requestId: string;
  readonly logger: Log;
}

/** What happened upstream, filled in as the command runs; read by the audit record. */
export interface ProviderTrace {
  provider: string | null;
  upstreamStatus: number | null;
  upstreamDetail: string | null;
  taskRef: string | null;
}

export const emptyTrace = (): ProviderTrace => ({
  provider: null,
  upstreamStatus: null,
  upstreamDetail: null,
  taskRef: null,
});

/**
 * How a provider call ended: accepted (`already_in_state` when the machine was there already), the
 * `ProviderFailure` of a refusal, or `error` when the adapter threw.
 */
export type ProviderCallOutcome = 'accepted' | 'already_in_state' | 'error' | ProviderFailure;

/** Told about every call to a provider, e.g. to count it; must be cheap and never throw. */
export interface ProviderCallObserver {
  providerCalled(
    provider: string,
    action: PowerAction,
    outcome: ProviderCallOutcome,
    seconds: number,
  ): void;
}

/**
 * Runs one power command after authentication and rate limiting: resource access, scope,
 * confirmation, then the provider. Each refusal is thrown as the `ApiError` of the reference.
 */
export class PowerService {
  readonly #directory: Directory;
  readonly #providers: ProviderRegistry;
  readonly #observer: ProviderCallObserver | undefined;

  constructor(directory: Directory, providers: ProviderRegistry, observer?: ProviderCallObserver) {
    this.#directory = directory;
    this.#providers = providers;
    this.#observer = observer;
  }

  /**
   * `null` when the provider accepted the action, or the refusal to answer with. Refusals are
   * values, not exceptions: the checks before the provider answer synchronously when the resource
   * is cached, and a rejected promise would cost more than the rest of the refusal.
   */
  execute(command: PowerCommand, trace: ProviderTrace): MaybePromise<ApiError | null> {
    const { family, resourceId } = command;
    const found = isValidId(resourceId)
      ? this.#directory.resource(family.type, resourceId)
      : undefined;
    return andThen(found, (resource) => this.#checked(command, trace, resource));
  }

  #checked(
    command: PowerCommand,
    trace: ProviderTrace,
    resource: ResourceRecord | undefined,
  ): MaybePromise<ApiError | null> {
    const { principal, family, action } = command;
    if (resource === undefined || !canAccess(principal, resource)) return family.denied();
    if (!scopeAllows(principal.scope, action)) return Errors.insufficientScope();
    if (family.confirm.has(action) && !command.confirmed) return confirmationRequired(action);
    trace.provider = resource.provider;
    return this.#send(command, trace, resource);
  }

  async #send(
    command: PowerCommand,
    trace: ProviderTrace,
    resource: ResourceRecord,
  ): Promise<ApiError | null> {
    const { family, action, resourceId, logger } = command;
    const cached = this.#providers.get(resource.provider);
    const provider =
      cached instanceof Promise
        ? await this.#provider(cached, resource.provider, trace, logger)
        : cached;
    if (provider === null) return Errors.providerError();
    if (provider === undefined) {
      trace.upstreamDetail = 'provider is not registered';
      logger.error({ provider: resource.provider }, 'resource points at a missing provider');
      return Errors.providerError();
    }
    logger.debug(
      { provider: resource.provider, action, ref: resource.ref },
      'sending action to provider',
    );
    const send = () =>
      provider.power({ resourceType: family.type, resourceId, ref: resource.ref }, action, {
        requestId: command.requestId,
        logger,
      });
    const outcome =
      this.#observer === undefined
        ? await send()
        : await this.#observed(this.#observer, resource.provider, send, action);
    trace.upstreamStatus = outcome.upstreamStatus;
    if (!outcome.accepted) {
      trace.upstreamDetail = `${outcome.failure}: ${outcome.detail}`;
      logger.warn(
        {
          provider: resource.provider,
          failure: outcome.failure,
          upstreamStatus: outcome.upstreamStatus,
          detail: outcome.detail,
        },
        'provider did not accept the action',
      );
      return Errors.providerError();
    }
    trace.taskRef = outcome.taskRef;
    const already = outcome.alreadyInState ? 'already in the requested state' : null;
    trace.upstreamDetail =
      already !== null && outcome.detail !== null
        ? `${already}: ${outcome.detail}`
        : (already ?? outcome.detail);
    return null;
  }

  /**
   * The provider once loaded; `null` when its credential cannot be opened (wrong or missing key),
   * which answers 502.
   */
  async #provider(
    loading: Promise<PowerProvider | undefined>,
    name: string,
    trace: ProviderTrace,
    logger: Log,
  ): Promise<PowerProvider | undefined | null> {
    try {
      return await loading;
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      trace.upstreamDetail = `credential unavailable: ${error.message}`;
      logger.error({ provider: name, err: error }, 'provider credential cannot be opened');
      return null;
    }
  }

  async #observed(
    observer: ProviderCallObserver,
    name: string,
    send: () => Promise<PowerOutcome>,
    action: PowerAction,
  ): Promise<PowerOutcome> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let outcome: PowerOutcome;
    try {
      outcome = await send();
    } catch (error) {
      observer.providerCalled(name, action, 'error', seconds());
      throw error;
    }
    const label = !outcome.accepted
      ? outcome.failure
      : outcome.alreadyInState
        ? 'already_in_state'
        : 'accepted';
    observer.providerCalled(name, action, label, seconds());
    return outcome;
  }
}
