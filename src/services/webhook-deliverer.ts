import { randomBase62 } from '../domain/base62.js';
import type { Log } from '../logger.js';
import type { WebhookObserver } from '../metrics/observers.js';
import type { SecretSealer } from '../secrets/secret-box.js';
import type {
  Actor,
  ClaimedWebhookDelivery,
  StoredWebhookEndpoint,
  WebhookAttempt,
  WebhookStore,
} from '../store/store.js';
import type { SendOutcome, WebhookClient } from './webhook-client.js';
import { actionEventBody, secretOwner, signedHeaders } from './webhook-events.js';

/**
 * Waits before the retries of a delivery, after the first attempt: eight attempts over about 27
 * hours, as Standard Webhooks' reference schedule has it. Each wait is jittered by ±20 %.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export const WEBHOOK_ACTOR: Actor = { name: 'webhooks' };

export interface DelivererOptions {
  readonly store: WebhookStore;
  readonly secrets: SecretSealer;
  readonly client: Pick<WebhookClient, 'send'>;
  readonly logger: Log;
  readonly observer?: WebhookObserver;
  /** `HEO_WEBHOOKS_LEASE_MS`: longer than an attempt can take. */
  readonly leaseMs: number;
  /** `HEO_WEBHOOKS_POLL_MS`: how often due deliveries are looked for. */
  readonly pollMs: number;
  /** `HEO_WEBHOOKS_CONCURRENCY`: attempts in flight at most. */
  readonly concurrency: number;
  /** `HEO_WEBHOOKS_RETRY_SCHEDULE`. */
  readonly retryScheduleMs: readonly number[];
  /** `HEO_WEBHOOKS_DISABLE_AFTER`: an endpoint failing this long is disabled. */
  readonly disableAfterMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** How long `close` waits for attempts in flight. */
const CLOSE_WAIT_MS = 2_000;

/** The secrets that sign now: the current one, and the previous one during its overlap. */
export const signingSecrets = (
  endpoint: StoredWebhookEndpoint,
  secrets: SecretSealer,
  now: number,
): string[] => {
  const owner = secretOwner(endpoint.id);
  const current = [secrets.open(owner, endpoint.secret)];
  if (endpoint.previousSecret !== null && (endpoint.previousUntil ?? 0) > now)
    current.push(secrets.open(owner, endpoint.previousSecret));
  return current;
};

/**
 * Delivers queued webhook events, at least once, on every instance at once without two of them
 * making the same attempt: a delivery is claimed under a lease in the store (`FOR UPDATE SKIP
 * LOCKED` on PostgreSQL), and its outcome is written only under that lease. An instance killed
 * during an attempt leaves the delivery due again once the lease runs out; the receiver may then
 * see the event twice, with the same `webhook-id`, and never not at all.
 */
export class WebhookDeliverer {
  readonly #options: DelivererOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly instance = `${process.pid}.${randomBase62(6)}`;
  #claims = 0;
  #inFlight = 0;
  readonly #attempts = new Set<Promise<void>>();
  #round: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: DelivererOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    if (this.#timer !== null || this.#closed) return;
    this.#timer = setInterval(() => void this.round(), this.#options.pollMs);
    this.#timer.unref();
  }

  /** One round now: claims due deliveries for the room there is, and starts their attempts. */
  round(): Promise<void> {
    this.#round ??= this.#runRound().finally(() => {
      this.#round = null;
    });
    return this.#round;
  }

  /** Resolves once every attempt started so far has been written. */
  async settled(): Promise<void> {
    await this.#round;
    await Promise.all([...this.#attempts]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#round;
    const until = this.#now() + CLOSE_WAIT_MS;
    while (this.#inFlight > 0 && this.#now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async #runRound(): Promise<void> {
    if (this.#closed) return;
    const room = this.#options.concurrency - this.#inFlight;
    if (room <= 0) return;
    let claimed: ClaimedWebhookDelivery[];
    try {
      claimed = await this.#options.store.claim({
        lease: `${this.instance}.${++this.#claims}`,
        now: this.#now(),
        leaseMs: this.#options.leaseMs,
        limit: room,
      });
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not claim webhook deliveries');
      return;
    }
    for (const delivery of claimed) {
      this.#inFlight += 1;
      const attempt = this.#attempt(delivery)
        .catch((error: unknown) => {
          this.#options.logger.error(
            { err: error, deliveryId: delivery.id, endpointId: delivery.endpointId },
            'webhook delivery attempt failed',
          );
        })
        .finally(() => {
          this.#inFlight -= 1;
          this.#attempts.delete(attempt);
        });
      this.#attempts.add(attempt);
    }
  }

  async #attempt(delivery: ClaimedWebhookDelivery): Promise<void> {
    const { store, logger } = this.#options;
    const endpoint = await store.get(delivery.endpointId);
    // Removed or disabled meanwhile: its deliveries went with it or failed with it.
    if (endpoint === undefined || !endpoint.enabled) return;
    const action = await store.action(delivery.actionId);
    const started = this.#now();
    let outcome: SendOutcome | 'action_missing';
    if (action === undefined) outcome = 'action_missing';
    else {
      const body = actionEventBody(delivery.type, delivery.createdAt, action);
      const headers = signedHeaders(
        delivery.eventId,
        started,
        body,
        signingSecrets(endpoint, this.#options.secrets, started),
      );
      outcome = await this.#options.client.send(endpoint.url, { ...headers }, body);
    }
    const at = this.#now();
    const attempts = delivery.attempts + 1;
    const delivered =
      outcome !== 'action_missing' &&
      outcome.kind === 'answered' &&
      outcome.status >= 200 &&
      outcome.status < 300;
    const gone =
      outcome !== 'action_missing' && outcome.kind === 'answered' && outcome.status === 410;
    const wait = this.#options.retryScheduleMs[attempts - 1];
    const retry = !delivered && !gone && outcome !== 'action_missing' && wait !== undefined;
    const result: WebhookAttempt = {
      id: delivery.id,
      lease: delivery.lease,
      endpointId: endpoint.id,
      at,
      status: delivered ? 'delivered' : retry ? 'pending' : 'failed',
      attempts,
      nextAttemptAt: retry ? at + this.#jittered(wait) : null,
      httpStatus:
        outcome !== 'action_missing' && outcome.kind === 'answered' ? outcome.status : null,
      error:
        outcome === 'action_missing'
          ? 'action_missing'
          : outcome.kind === 'failed'
            ? outcome.error
            : delivered
              ? null
              : `status_${outcome.status}`,
      response:
        outcome !== 'action_missing' && outcome.kind === 'answered' ? outcome.excerpt : null,
    };
    const written = await store.record(result);
    this.#options.observer?.webhookDelivered(
      delivered ? 'delivered' : retry ? 'retrying' : 'failed',
      (at - started) / 1000,
    );
    if (!written) return;
    if (!delivered) {
      logger.info(
        {
          deliveryId: delivery.id,
          endpointId: endpoint.id,
          eventId: delivery.eventId,
          attempts,
          status: result.httpStatus,
          error: result.error,
          nextAttemptAt: result.nextAttemptAt,
        },
        retry ? 'webhook delivery failed, will retry' : 'webhook delivery failed for good',
      );
    }
    if (gone) {
      await this.#disable(endpoint, 'gone', { delivery: `whd_${delivery.id}` });
    } else if (
      !delivered &&
      endpoint.failingSince !== null &&
      at - endpoint.failingSince >= this.#options.disableAfterMs
    ) {
      await this.#disable(endpoint, 'failing', {
        failing_since: new Date(endpoint.failingSince).toISOString(),
      });
    }
  }

  async #disable(
    endpoint: StoredWebhookEndpoint,
    reason: 'gone' | 'failing',
    detail: Record<string, string>,
  ): Promise<void> {
    const changed = await this.#options.store.setEnabled(
      endpoint.id,
      false,
      reason,
      this.#now(),
      WEBHOOK_ACTOR,
      detail,
    );
    if (changed) {
      this.#options.logger.warn(
        { endpointId: endpoint.id, customerId: endpoint.customerId, reason },
        reason === 'gone'
          ? 'webhook endpoint disabled: the receiver answered 410 Gone'
          : 'webhook endpoint disabled: every delivery failed for too long',
      );
    }
  }

  #jittered(ms: number): number {
    return Math.round(ms * (0.8 + 0.4 * this.#random()));
  }
}
