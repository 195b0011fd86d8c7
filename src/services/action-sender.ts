import type { PowerAction, ProviderReason } from '../domain/power.js';
import type { Log } from '../logger.js';
import type { ProviderCallObserver } from '../metrics/observers.js';
import type {
  PowerContext,
  PowerOutcome,
  PowerProvider,
  ProviderFailure,
} from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { SecretError } from '../secrets/secret-error.js';
import type { ResourceRecord } from '../store/store.js';

/** What happened upstream, filled in as the action is sent; read by the audit record. */
export interface ProviderTrace {
  provider: string | null;
  upstreamStatus: number | null;
  upstreamDetail: string | null;
  taskRef: string | null;
  /** Why the action was not taken, as the client may be told; `null` while it was. */
  reason: ProviderReason | null;
}

export const emptyTrace = (): ProviderTrace => ({
  provider: null,
  upstreamStatus: null,
  upstreamDetail: null,
  taskRef: null,
  reason: null,
});

/** What a client is told of a back-end's refusal. */
export const reasonOf = (failure: ProviderFailure): ProviderReason => {
  switch (failure) {
    case 'unreachable':
    case 'tls':
      return 'provider_unreachable';
    case 'timeout':
      return 'provider_timeout';
    case 'conflict':
      return 'machine_busy';
    case 'not_running':
      return 'machine_not_running';
    case 'suspended':
      return 'machine_suspended';
    case 'auth':
    case 'not_found':
    case 'rejected':
    case 'upstream_error':
    case 'unsupported':
    case 'rate_limited':
      return 'provider_rejected';
  }
};

/**
 * The registered provider `name`, or why there is none usable: it is not registered, or its
 * credential cannot be opened (wrong or missing key). Either is logged here, as an operator's
 * problem; the caller decides what its client is told.
 */
export const providerOfMachine = async (
  providers: Pick<ProviderRegistry, 'get'>,
  name: string,
  logger: Log,
): Promise<{ readonly provider: PowerProvider } | { readonly problem: string }> => {
  let provider: PowerProvider | undefined;
  try {
    provider = await providers.get(name);
  } catch (error) {
    if (!(error instanceof SecretError)) throw error;
    logger.error({ provider: name, err: error }, 'provider credential cannot be opened');
    return { problem: `credential unavailable: ${error.message}` };
  }
  if (provider === undefined) {
    logger.error({ provider: name }, 'resource points at a missing provider');
    return { problem: 'provider is not registered' };
  }
  return { provider };
};

/**
 * Sends an admitted power action to the provider of its machine, and notes in the trace what the
 * provider said. Every way of not getting the action accepted (the provider is missing, its
 * credential cannot be opened, it refused) is the same `false`; the trace and the log say which.
 */
export class ActionSender {
  readonly #providers: ProviderRegistry;
  readonly #observer: ProviderCallObserver | undefined;

  constructor(providers: ProviderRegistry, observer?: ProviderCallObserver) {
    this.#providers = providers;
    this.#observer = observer;
  }

  /** `true` once the provider accepted the action. */
  async send(
    resource: ResourceRecord,
    action: PowerAction,
    context: PowerContext,
    trace: ProviderTrace,
  ): Promise<boolean> {
    const { logger } = context;
    trace.provider = resource.provider;
    const provider = await this.#provider(resource.provider, trace, context);
    if (provider === null) return false;
    logger.debug(
      { provider: resource.provider, action, ref: resource.ref },
      'sending action to provider',
    );
    const target = { resourceType: resource.type, resourceId: resource.id, ref: resource.ref };
    const send = () => provider.power(target, action, context);
    const outcome =
      this.#observer === undefined
        ? await send()
        : await this.#observed(this.#observer, resource.provider, send, action);
    trace.upstreamStatus = outcome.upstreamStatus;
    if (!outcome.accepted) {
      trace.upstreamDetail = `${outcome.failure}: ${outcome.detail}`;
      trace.reason = reasonOf(outcome.failure);
      logger.warn(
        {
          provider: resource.provider,
          failure: outcome.failure,
          upstreamStatus: outcome.upstreamStatus,
          detail: outcome.detail,
        },
        'provider did not accept the action',
      );
      return false;
    }
    trace.taskRef = outcome.taskRef;
    const already = outcome.alreadyInState ? 'already in the requested state' : null;
    trace.upstreamDetail =
      already !== null && outcome.detail !== null
        ? `${already}: ${outcome.detail}`
        : (already ?? outcome.detail);
    return true;
  }

  /**
   * The provider of a machine; `null` when it is not registered or its credential cannot be
   * opened (wrong or missing key).
   */
  async #provider(
    name: string,
    trace: ProviderTrace,
    { logger }: PowerContext,
  ): Promise<PowerProvider | null> {
    const found = await providerOfMachine(this.#providers, name, logger);
    if ('provider' in found) return found.provider;
    trace.upstreamDetail = found.problem;
    trace.reason = 'provider_unreachable';
    return null;
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
