import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FAMILIES, type PowerAction, type ResourceType } from '../domain/power.js';
import type {
  AuthenticationFailure,
  ProviderCallOutcome,
  RequestLabels,
  ServiceObserver,
  WebhookObserver,
  WebhookOutcome,
} from './observers.js';
import type { ActionStatus, WebhookQueueStats } from '../store/store.js';

const WEBHOOK_OUTCOMES: readonly WebhookOutcome[] = ['delivered', 'retrying', 'failed'];

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Actions take seconds to minutes: a start of a game server may take ten. */
const FOLLOW_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900];

const AUTHENTICATION_FAILURES: readonly AuthenticationFailure[] = [
  'missing',
  'invalid',
  'ip_not_allowed',
];

/**
 * The Prometheus metrics of one heo-power instance, in a registry of its own (never the global
 * one), so that several apps in one process do not share series. Every label is bounded: route
 * templates, methods, statuses, families, actions, provider names and outcomes; never a key,
 * customer or resource id, and never a raw URL.
 */
export class Metrics implements ServiceObserver, WebhookObserver {
  readonly #registry = new Registry();
  readonly #requests: Counter<keyof RequestLabels>;
  readonly #requestDuration: Histogram<keyof RequestLabels>;
  readonly #providerCalls: Counter<'provider' | 'action' | 'outcome'>;
  readonly #providerCallDuration: Histogram<'provider' | 'action' | 'outcome'>;
  readonly #rateLimited: Counter<'family' | 'action'>;
  readonly #authenticationFailures: Counter<'reason'>;
  readonly #addressRefusals: Counter;
  readonly #actionsEnded: Counter<'provider' | 'action' | 'status'>;
  readonly #actionDuration: Histogram<'provider' | 'action' | 'status'>;
  readonly #webhookAttempts: Counter<'outcome'>;
  #webhookQueue: (() => Promise<WebhookQueueStats>) | null = null;
  #queueRead: Promise<WebhookQueueStats | null> | null = null;

  constructor() {
    const registers = [this.#registry];
    const requestLabels = ['route', 'method', 'status', 'family', 'action'] as const;
    this.#requests = new Counter({
      name: 'heo_http_requests_total',
      help: 'HTTP requests answered, by route template, method, status and, on power routes, family and action.',
      labelNames: requestLabels,
      registers,
    });
    this.#requestDuration = new Histogram({
      name: 'heo_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its answer.',
      labelNames: requestLabels,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const providerLabels = ['provider', 'action', 'outcome'] as const;
    this.#providerCalls = new Counter({
      name: 'heo_provider_calls_total',
      help: 'Power actions sent to providers, by provider name, action and outcome.',
      labelNames: providerLabels,
      registers,
    });
    this.#providerCallDuration = new Histogram({
      name: 'heo_provider_call_duration_seconds',
      help: 'Time a provider took to accept or refuse a power action.',
      labelNames: providerLabels,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#rateLimited = new Counter({
      name: 'heo_rate_limit_rejections_total',
      help: 'Power requests refused with 429 because their key was over its limit.',
      labelNames: ['family', 'action'] as const,
      registers,
    });
    this.#authenticationFailures = new Counter({
      name: 'heo_auth_failures_total',
      help: 'Power requests refused with 401: reason "missing" (no Authorization header), "invalid", or "ip_not_allowed" (a good key from an address outside its allowlist).',
      labelNames: ['reason'] as const,
      registers,
    });
    this.#addressRefusals = new Counter({
      name: 'heo_auth_address_refusals_total',
      help: 'Power requests refused with 429 because their client address used up its budget of failed authentications.',
      registers,
    });
    const actionLabels = ['provider', 'action', 'status'] as const;
    this.#actionsEnded = new Counter({
      name: 'heo_actions_ended_total',
      help: 'Accepted power actions followed to their end, by provider name, action and final status (succeeded, failed, timed_out).',
      labelNames: actionLabels,
      registers,
    });
    this.#actionDuration = new Histogram({
      name: 'heo_action_follow_duration_seconds',
      help: "Time from an action's request to the look that saw it end.",
      labelNames: actionLabels,
      buckets: FOLLOW_BUCKETS,
      registers,
    });
    this.#webhookAttempts = new Counter({
      name: 'heo_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome: delivered (a 2xx), retrying (failed, another attempt is scheduled), failed (failed for good).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of WEBHOOK_OUTCOMES) this.#webhookAttempts.inc({ outcome }, 0);
    // One read of the queue per scrape, shared by both gauges.
    const queue = () => {
      this.#queueRead ??= (this.#webhookQueue?.() ?? Promise.resolve(null))
        .catch(() => null)
        .finally(() => {
          setImmediate(() => {
            this.#queueRead = null;
          });
        });
      return this.#queueRead;
    };
    new Gauge({
      name: 'heo_webhook_queue_depth',
      help: 'Webhook deliveries waiting for an attempt (due or scheduled), over every instance.',
      registers,
      collect: async function (this: Gauge) {
        const stats = await queue();
        if (stats !== null) this.set(stats.pending);
      },
    });
    new Gauge({
      name: 'heo_webhook_oldest_pending_age_seconds',
      help: 'Age of the event of the oldest webhook delivery still waiting; 0 when none waits.',
      registers,
      collect: async function (this: Gauge) {
        const stats = await queue();
        if (stats !== null)
          this.set(
            stats.oldestPendingAt === null
              ? 0
              : Math.max(0, (Date.now() - stats.oldestPendingAt) / 1000),
          );
      },
    });
    // Series that are known in advance start at zero, so that rates exist before the first event.
    for (const family of FAMILIES) {
      for (const action of family.actions)
        this.#rateLimited.inc({ family: family.type, action }, 0);
    }
    for (const reason of AUTHENTICATION_FAILURES) this.#authenticationFailures.inc({ reason }, 0);
    collectDefaultMetrics({ register: this.#registry });
  }

  requestCompleted(labels: RequestLabels, seconds: number): void {
    this.#requests.inc(labels);
    this.#requestDuration.observe(labels, seconds);
  }

  providerCalled(
    provider: string,
    action: PowerAction,
    outcome: ProviderCallOutcome,
    seconds: number,
  ): void {
    const labels = { provider, action, outcome };
    this.#providerCalls.inc(labels);
    this.#providerCallDuration.observe(labels, seconds);
  }

  actionEnded(provider: string, action: PowerAction, status: ActionStatus, seconds: number): void {
    const labels = { provider, action, status };
    this.#actionsEnded.inc(labels);
    this.#actionDuration.observe(labels, seconds);
  }

  webhookDelivered(outcome: WebhookOutcome, _seconds: number): void {
    this.#webhookAttempts.inc({ outcome });
  }

  /** Where the queue gauges read the outbox from (the store, shared by every instance). */
  watchWebhookQueue(read: () => Promise<WebhookQueueStats>): void {
    this.#webhookQueue = read;
  }

  rateLimited(family: ResourceType, action: PowerAction): void {
    this.#rateLimited.inc({ family, action });
  }

  authenticationFailed(reason: AuthenticationFailure): void {
    this.#authenticationFailures.inc({ reason });
  }

  addressRefused(): void {
    this.#addressRefusals.inc();
  }

  /** The exposition text and its content type, for `GET /metrics`. */
  async exposition(): Promise<{ readonly contentType: string; readonly text: string }> {
    return { contentType: this.#registry.contentType, text: await this.#registry.metrics() };
  }
}
