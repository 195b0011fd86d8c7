import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { familyOf } from '../domain/power.js';
import type { ActionRecord, WebhookEventType } from '../store/store.js';
import { actionView } from './action-view.js';

/**
 * What a webhook delivery sends: the body, and the headers of Standard Webhooks 1.0
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`), signed with HMAC-SHA256 over
 * `id.timestamp.body` by the `standardwebhooks` package.
 */

/** `whsec_` and 32 random bytes in base64, as Standard Webhooks secrets are written. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** What the owner of a sealed secret is called, so a sealed secret cannot be moved to another. */
export const secretOwner = (endpointId: string): string => `webhook:${endpointId}`;

/** The type an action's end is announced with. */
export const endedEventType = (status: ActionRecord['status']): WebhookEventType | null =>
  status === 'succeeded' || status === 'failed' || status === 'timed_out'
    ? `power.action.${status}`
    : null;

/**
 * The body of an event about an action. A requested event shows the action as it was answered
 * (requested, not ended), whenever it is sent; an ended event shows it as it ended. The same
 * event therefore has the same body on every attempt.
 */
export const actionEventBody = (
  type: WebhookEventType,
  at: number,
  action: ActionRecord,
): string => {
  const shown: ActionRecord =
    type === 'power.action.requested'
      ? { ...action, status: 'requested', error: null, finishedAt: null }
      : action;
  return JSON.stringify({
    type,
    timestamp: new Date(at).toISOString(),
    data: actionView(familyOf(action.resourceType), shown),
  });
};

/** The body of `webhooks test`: an event of its own type, about the endpoint. */
export const testEventBody = (at: number, endpoint: { id: string; customerId: string }): string =>
  JSON.stringify({
    type: 'webhook.test',
    timestamp: new Date(at).toISOString(),
    data: { endpoint_id: endpoint.id, customer_id: endpoint.customerId },
  });

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * The headers of one attempt at `at`: one `v1,` signature per secret (two during a rotation's
 * overlap), space-separated, as Standard Webhooks allows.
 */
export const signedHeaders = (
  id: string,
  at: number,
  body: string,
  secrets: readonly string[],
): SignedHeaders => {
  const when = new Date(Math.floor(at / 1000) * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': secrets
      .map((secret) => new Webhook(secret).sign(id, when, body))
      .join(' '),
  };
};
