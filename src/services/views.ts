import { displaySettings } from '../providers/settings.js';
import type { SendOutcome } from './webhook-client.js';
import type {
  ActionRecord,
  AdminTokenRecord,
  ApiKeyRecord,
  ProviderRecord,
  ResourceRecord,
  WebhookDelivery,
  WebhookEndpointRecord,
} from '../store/store.js';

/**
 * How operator tools show records: the CLI's `--json` output and the admin HTTP API's answers are
 * the same objects, so the two cannot drift apart. Never a key, a token, a digest or a credential.
 */

export const isoOrNull = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

export const keyStatus = (key: ApiKeyRecord, now = Date.now()): 'active' | 'revoked' | 'expired' =>
  key.revokedAt !== null
    ? 'revoked'
    : key.expiresAt !== null && key.expiresAt <= now
      ? 'expired'
      : 'active';

export const resourcesJson = (key: ApiKeyRecord): string | string[] =>
  key.resources === null ? 'all' : key.resources.map((r) => `${r.type}:${r.id}`);

/** A key as listings show it. */
export const keyJson = (key: ApiKeyRecord) => ({
  id: key.id,
  customer_id: key.customerId,
  name: key.name,
  scope: key.scope,
  resources: resourcesJson(key),
  allowed_ips: key.allowedIps === null ? 'any' : [...key.allowedIps],
  display_prefix: key.displayPrefix,
  status: keyStatus(key),
  created_at: isoOrNull(key.createdAt),
  expires_at: isoOrNull(key.expiresAt),
  revoked_at: isoOrNull(key.revokedAt),
  last_used_at: isoOrNull(key.lastUsedAt),
});

/** A machine (VPS or game server). */
export const machineJson = (r: ResourceRecord) => ({
  type: r.type,
  id: r.id,
  customer_id: r.customerId,
  provider: r.provider,
  ref: r.ref,
  created_at: isoOrNull(r.createdAt),
  assigned_at: isoOrNull(r.assignedAt),
});

/** A provider with how many machines it runs: its credential only as the masked hint. */
export const providerJson = (p: ProviderRecord, resources: number) => ({
  name: p.name,
  type: p.type,
  settings: displaySettings(p.settings),
  credential: p.secretHint,
  resources,
  created_at: isoOrNull(p.createdAt),
  updated_at: isoOrNull(p.updatedAt),
});

/** An admin token: its id, label and display prefix, never the token. */
export const adminTokenJson = (t: AdminTokenRecord) => ({
  id: t.id,
  name: t.name,
  display_prefix: t.displayPrefix,
  status: t.revokedAt === null ? ('active' as const) : ('revoked' as const),
  created_at: isoOrNull(t.createdAt),
  revoked_at: isoOrNull(t.revokedAt),
});

/** An action as operators see it: whose it was and where it went, beside what the API shows. */
export const actionRecordJson = (a: ActionRecord) => ({
  action_id: a.id,
  type: a.resourceType,
  id: a.resourceId,
  action: a.action,
  status: a.status,
  error: a.error,
  customer_id: a.customerId,
  key_id: a.keyId,
  provider: a.provider,
  task_ref: a.taskRef,
  requested_at: isoOrNull(a.requestedAt),
  finished_at: isoOrNull(a.finishedAt),
});
/** A webhook endpoint: never its secrets. */
export const webhookJson = (w: WebhookEndpointRecord) => ({
  id: w.id,
  customer_id: w.customerId,
  url: w.url,
  events: w.events === null ? ('all' as const) : [...w.events],
  status: w.enabled ? ('enabled' as const) : ('disabled' as const),
  disabled_reason: w.disabledReason,
  failing_since: isoOrNull(w.failingSince),
  previous_secret_until: isoOrNull(w.previousUntil),
  created_at: isoOrNull(w.createdAt),
  updated_at: isoOrNull(w.updatedAt),
});

/** One delivery of an event to an endpoint, and how its last attempt went. */
export const deliveryJson = (d: WebhookDelivery) => ({
  id: `whd_${d.id}`,
  event_id: d.eventId,
  endpoint_id: d.endpointId,
  type: d.type,
  action_id: d.actionId,
  status: d.status,
  attempts: d.attempts,
  created_at: isoOrNull(d.createdAt),
  next_attempt_at: isoOrNull(d.nextAttemptAt),
  last_attempt_at: isoOrNull(d.lastAttemptAt),
  last_status: d.lastStatus,
  last_error: d.lastError,
  last_response: d.lastResponse,
  finished_at: isoOrNull(d.finishedAt),
});

/** How a receiver answered a test event. */
export const outcomeJson = (outcome: SendOutcome) =>
  outcome.kind === 'answered'
    ? {
        delivered: outcome.status >= 200 && outcome.status < 300,
        status: outcome.status,
        error: null,
        response: outcome.excerpt,
      }
    : { delivered: false, status: null, error: outcome.error, response: null };
