import { AdminError } from '../domain/admin-error.js';
import { randomBase62 } from '../domain/base62.js';
import { parseDuration } from '../domain/duration.js';
import { ID_RULE, isValidId } from '../domain/ids.js';
import type { SecretSealer } from '../secrets/secret-box.js';
import {
  type Actor,
  type Store,
  type StoredWebhookEndpoint,
  WEBHOOK_EVENT_TYPES,
  type WebhookDelivery,
  type WebhookEndpointRecord,
  type WebhookEventType,
} from '../store/store.js';
import { type SendOutcome, WebhookClient } from './webhook-client.js';
import { signingSecrets } from './webhook-deliverer.js';
import { newWebhookSecret, secretOwner, signedHeaders, testEventBody } from './webhook-events.js';

export interface NewEndpointRequest {
  readonly customerId: string;
  readonly url: string;
  /** Empty or absent: every event type. */
  readonly events?: readonly string[];
}

export interface CreatedEndpoint {
  readonly record: WebhookEndpointRecord;
  /** The signing secret: shown once, stored sealed. */
  readonly secret: string;
}

/** The longest overlap a rotation may give the previous secret. */
const MAX_OVERLAP_MS = 30 * 86_400_000;
export const DEFAULT_SECRET_OVERLAP_MS = 24 * 3_600_000;
const MAX_ENDPOINTS_PER_CUSTOMER = 20;

const unknownEndpoint = (id: string): AdminError =>
  new AdminError(`unknown webhook endpoint "${id}" (see "webhooks list")`, 'not_found');

const unknownDelivery = (id: string): AdminError =>
  new AdminError(`unknown webhook delivery "${id}" (see "webhooks deliveries")`, 'not_found');

/** `whd_42` (as listings show it) or `42`; `null` for anything else. */
export const parseDeliveryId = (text: string): number | null => {
  const match = /^(?:whd_)?([1-9][0-9]{0,15})$/.exec(text.trim());
  return match === null ? null : Number(match[1]);
};

/** `--overlap`: `0` (none) or a duration such as `24h`. */
export const parseOverlap = (text: string): number => {
  if (text.trim() === '0') return 0;
  const ms = parseDuration(text.trim());
  if (ms === null || ms > MAX_OVERLAP_MS)
    throw new AdminError(
      `invalid overlap "${text}": 0, or a duration up to 30d such as 90s, 15m, 24h or 7d`,
    );
  return ms;
};

/** Webhook endpoints as operators manage them, the same for the CLI and the admin API. */
export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretSealer,
    private readonly client: Pick<WebhookClient, 'send'>,
    private readonly now: () => number = Date.now,
  ) {}

  async add(request: NewEndpointRequest, actor: Actor): Promise<CreatedEndpoint> {
    if (!isValidId(request.customerId))
      throw new AdminError(`invalid customer id "${request.customerId}": ${ID_RULE}`);
    const problem = WebhookClient.problemOf(request.url);
    if (problem !== null) throw new AdminError(`invalid webhook URL: ${problem}`);
    const events = this.#events(request.events ?? []);
    const existing = await this.store.webhooks.list({ customerId: request.customerId });
    if (existing.length >= MAX_ENDPOINTS_PER_CUSTOMER)
      throw new AdminError(
        `customer "${request.customerId}" already has ${existing.length} webhook endpoints, the most allowed`,
      );
    const id = `whe_${randomBase62(16)}`;
    const secret = newWebhookSecret();
    const at = this.now();
    await this.store.webhooks.add(
      {
        id,
        customerId: request.customerId,
        url: new URL(request.url).href,
        events,
        secret: this.secrets.seal(secretOwner(id), secret),
        createdAt: at,
      },
      actor,
    );
    return { record: await this.get(id), secret };
  }

  list(customerId?: string): Promise<readonly WebhookEndpointRecord[]> {
    return this.store.webhooks.list(customerId === undefined ? {} : { customerId });
  }

  async get(id: string): Promise<WebhookEndpointRecord> {
    const { secret: _s, previousSecret: _p, ...record } = await this.#stored(id);
    return record;
  }

  async remove(id: string, actor: Actor): Promise<WebhookEndpointRecord> {
    const record = await this.get(id);
    if (!(await this.store.webhooks.remove(id, actor))) throw unknownEndpoint(id);
    return record;
  }

  /** A new secret; the current one signs too for `overlapMs` (two `v1,` signatures). */
  async rotateSecret(id: string, overlapMs: number, actor: Actor): Promise<CreatedEndpoint> {
    await this.#stored(id);
    const secret = newWebhookSecret();
    const at = this.now();
    const changed = await this.store.webhooks.rotateSecret(
      id,
      this.secrets.seal(secretOwner(id), secret),
      overlapMs > 0 ? at + overlapMs : null,
      at,
      actor,
    );
    if (!changed) throw unknownEndpoint(id);
    return { record: await this.get(id), secret };
  }

  /** Turns a disabled endpoint on again (after a 410, or days of failures). */
  async enable(id: string, actor: Actor): Promise<WebhookEndpointRecord> {
    await this.#stored(id);
    await this.store.webhooks.setEnabled(id, true, null, this.now(), actor);
    return this.get(id);
  }

  /**
   * Sends a signed `webhook.test` event now, once, with no retry and nothing queued, and says
   * how the receiver answered.
   */
  async test(id: string): Promise<SendOutcome> {
    const endpoint = await this.#stored(id);
    const at = this.now();
    const body = testEventBody(at, endpoint);
    const headers = signedHeaders(
      `msg_test_${randomBase62(16)}`,
      at,
      body,
      signingSecrets(endpoint, this.secrets, at),
    );
    return this.client.send(endpoint.url, { ...headers }, body);
  }

  async deliveries(id: string, limit: number): Promise<readonly WebhookDelivery[]> {
    await this.#stored(id);
    return this.store.webhooks.deliveries(id, limit);
  }

  /** Queues a delivery again at once, its attempts counted anew. */
  async redeliver(text: string, actor: Actor): Promise<WebhookDelivery> {
    const id = parseDeliveryId(text);
    if (id === null) throw unknownDelivery(text);
    const delivery = await this.store.webhooks.delivery(id);
    if (delivery === undefined) throw unknownDelivery(text);
    const endpoint = await this.#stored(delivery.endpointId);
    if (!endpoint.enabled)
      throw new AdminError(
        `webhook endpoint ${endpoint.id} is disabled (${endpoint.disabledReason ?? 'by an operator'}): enable it first ("webhooks enable ${endpoint.id}")`,
        'conflict',
      );
    if (!(await this.store.webhooks.redeliver(id, this.now(), actor))) throw unknownDelivery(text);
    return (await this.store.webhooks.delivery(id)) ?? delivery;
  }

  async #stored(id: string): Promise<StoredWebhookEndpoint> {
    const endpoint = await this.store.webhooks.get(id);
    if (endpoint === undefined) throw unknownEndpoint(id);
    return endpoint;
  }

  #events(names: readonly string[]): WebhookEventType[] | null {
    if (names.length === 0) return null;
    const unknown = names.filter((n) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(n));
    if (unknown.length > 0)
      throw new AdminError(
        `unknown event type "${unknown.join('", "')}": one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
      );
    return WEBHOOK_EVENT_TYPES.filter((t) => names.includes(t));
  }
}
