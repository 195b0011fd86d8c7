import type {
  ActionRecord,
  Actor,
  ClaimedWebhookDelivery,
  JsonObject,
  NewWebhookEndpoint,
  StoredWebhookEndpoint,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookEndpointRecord,
  WebhookEventType,
  WebhookQueueStats,
  WebhookStore,
  AuditEntry,
} from '../store.js';
import { toAction } from './actions.js';
import type { ChangeSignal } from './change-signal.js';
import type { SqlExecutor, SqlRow, SqlValue } from './executor.js';
import { recordOperatorEvent } from './operator-log.js';
import { num, numOrNull, str, strOrNull } from './rows.js';

const REQUESTED: WebhookEventType = 'power.action.requested';

/**
 * The `webhook-id` of an action's event: one per action and kind (its request, its end), so the
 * same event is never queued twice for an endpoint (`UNIQUE (event_id, endpoint_id)`).
 */
export const webhookEventId = (actionId: string, type: WebhookEventType): string =>
  `msg_${actionId.replace(/^act_/, '')}_${type === REQUESTED ? 'requested' : 'ended'}`;

const subscribed = (type: WebhookEventType): string => `%,${type},%`;

const DELIVERY_COLUMNS =
  'event_id, endpoint_id, type, action_id, created_at, status, attempts, next_attempt_at';

/** One event for every enabled endpoint of a customer subscribed to its type (one row each). */
export const ENQUEUE_FOR_CUSTOMER = `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}) SELECT ?, id, ?, ?, ?, 'pending', 0, ? FROM webhook_endpoints WHERE customer_id = ? AND enabled = 1 AND (events IS NULL OR events LIKE ?)`;

/** The same for an action's customer, read from the action row. */
const ENQUEUE_FOR_ACTION = `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}) SELECT ?, id, ?, ?, ?, 'pending', 0, ? FROM webhook_endpoints WHERE customer_id = (SELECT customer_id FROM actions WHERE id = ?) AND enabled = 1 AND (events IS NULL OR events LIKE ?)`;

/**
 * The requested events of a batch as a PostgreSQL CTE (`queued`), one array per column:
 * event ids, action ids, customer ids, times.
 */
export const QUEUE_REQUESTED_COLUMNS = `queued AS (INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}) SELECT ev.event_id, w.id, '${REQUESTED}', ev.action_id, ev.at, 'pending', 0, ev.at FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[]) AS ev(event_id, action_id, customer_id, at) JOIN webhook_endpoints w ON w.customer_id = ev.customer_id WHERE w.enabled = 1 AND (w.events IS NULL OR w.events LIKE '${subscribed(REQUESTED)}'))`;

const startsWebhooks = (e: AuditEntry): e is AuditEntry & { actionId: string } =>
  e.webhooks === true && typeof e.actionId === 'string' && e.status === 200;

/** The `ENQUEUE_FOR_CUSTOMER` rows of a batch's accepted entries whose customer has endpoints. */
export const requestedEventRows = (entries: readonly AuditEntry[]): SqlValue[][] => {
  const rows: SqlValue[][] = [];
  for (const e of entries) {
    if (!startsWebhooks(e)) continue;
    rows.push([
      webhookEventId(e.actionId, REQUESTED),
      REQUESTED,
      e.actionId,
      e.at,
      e.at,
      e.customerId,
      subscribed(REQUESTED),
    ]);
  }
  return rows;
};

/** The same as the four columns of `QUEUE_REQUESTED_COLUMNS`, or `null` when there is none. */
export const requestedEventColumns = (entries: readonly AuditEntry[]): SqlValue[][] | null => {
  const columns: SqlValue[][] = [[], [], [], []];
  for (const e of entries) {
    if (!startsWebhooks(e)) continue;
    columns[0]?.push(webhookEventId(e.actionId, REQUESTED));
    columns[1]?.push(e.actionId);
    columns[2]?.push(e.customerId);
    columns[3]?.push(e.at);
  }
  return (columns[0]?.length ?? 0) === 0 ? null : columns;
};

/** Queues an action's end for its customer's endpoints, inside the settlement's transaction. */
export const queueEnded = async (
  tx: SqlExecutor,
  actionId: string,
  type: WebhookEventType,
  at: number,
): Promise<void> => {
  await tx.run(ENQUEUE_FOR_ACTION, [
    webhookEventId(actionId, type),
    type,
    actionId,
    at,
    at,
    actionId,
    subscribed(type),
  ]);
};

const eventsOf = (value: unknown): readonly WebhookEventType[] | null => {
  const text = strOrNull(value);
  if (text === null) return null;
  return text.split(',').filter((t) => t !== '') as WebhookEventType[];
};

const toEndpoint = (row: SqlRow): StoredWebhookEndpoint => ({
  id: str(row.id),
  customerId: str(row.customer_id),
  url: str(row.url),
  events: eventsOf(row.events),
  enabled: num(row.enabled) === 1,
  disabledReason: strOrNull(row.disabled_reason),
  failingSince: numOrNull(row.failing_since),
  previousUntil: numOrNull(row.previous_until),
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
  secret: str(row.secret),
  previousSecret: strOrNull(row.previous_secret),
});

/** Listings never carry the secrets, not even sealed. */
const withoutSecrets = (e: StoredWebhookEndpoint): WebhookEndpointRecord => {
  const { secret: _secret, previousSecret: _previous, ...record } = e;
  return record;
};

const toDelivery = (row: SqlRow): WebhookDelivery => ({
  id: num(row.id),
  eventId: str(row.event_id),
  endpointId: str(row.endpoint_id),
  type: str(row.type) as WebhookEventType,
  actionId: str(row.action_id),
  createdAt: num(row.created_at),
  status: str(row.status) as WebhookDeliveryStatus,
  attempts: num(row.attempts),
  nextAttemptAt: numOrNull(row.next_attempt_at),
  lastAttemptAt: numOrNull(row.last_attempt_at),
  lastStatus: numOrNull(row.last_status),
  lastError: strOrNull(row.last_error),
  lastResponse: strOrNull(row.last_response),
  finishedAt: numOrNull(row.finished_at),
});

const claimDeliveries = (lockSkippingLocked: string): string =>
  `UPDATE webhook_deliveries SET lease = ?, next_attempt_at = ? WHERE id IN (SELECT id FROM webhook_deliveries WHERE next_attempt_at <= ? AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled = 1) ORDER BY next_attempt_at LIMIT ?${lockSkippingLocked}) RETURNING *`;

const RECORD_ATTEMPT =
  'UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?, last_status = ?, last_error = ?, last_response = ?, finished_at = ?, lease = NULL WHERE id = ? AND lease = ?';

export class SqlWebhookStore implements WebhookStore {
  readonly #claim: string;

  constructor(
    private readonly db: SqlExecutor,
    private readonly signal: ChangeSignal,
  ) {
    this.#claim = claimDeliveries(db.capabilities.lockSkippingLocked);
  }

  add(endpoint: NewWebhookEndpoint, actor: Actor): Promise<void> {
    return this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO webhook_endpoints (id, customer_id, url, events, secret, enabled, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
        [
          endpoint.id,
          endpoint.customerId,
          endpoint.url,
          endpoint.events === null ? null : `,${endpoint.events.join(',')},`,
          endpoint.secret,
          endpoint.createdAt,
          endpoint.createdAt,
        ],
      );
      await recordOperatorEvent(
        tx,
        actor,
        'webhook.add',
        endpoint.id,
        { customer_id: endpoint.customerId, url: endpoint.url, events: endpoint.events },
        endpoint.createdAt,
      );
      await this.signal(tx);
    });
  }

  async get(id: string): Promise<StoredWebhookEndpoint | undefined> {
    const row = await this.db.get('SELECT * FROM webhook_endpoints WHERE id = ?', [id]);
    return row && toEndpoint(row);
  }

  async list(filter: { readonly customerId?: string } = {}): Promise<WebhookEndpointRecord[]> {
    const rows =
      filter.customerId === undefined
        ? await this.db.all('SELECT * FROM webhook_endpoints ORDER BY customer_id, id')
        : await this.db.all(
            'SELECT * FROM webhook_endpoints WHERE customer_id = ? ORDER BY customer_id, id',
            [filter.customerId],
          );
    return rows.map((row) => withoutSecrets(toEndpoint(row)));
  }

  remove(id: string, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get('SELECT customer_id, url FROM webhook_endpoints WHERE id = ?', [id]);
      if (row === undefined) return false;
      await tx.run('DELETE FROM webhook_deliveries WHERE endpoint_id = ?', [id]);
      await tx.run('DELETE FROM webhook_endpoints WHERE id = ?', [id]);
      await recordOperatorEvent(tx, actor, 'webhook.remove', id, {
        customer_id: str(row.customer_id),
        url: str(row.url),
      });
      await this.signal(tx);
      return true;
    });
  }

  rotateSecret(
    id: string,
    sealed: string,
    previousUntil: number | null,
    at: number,
    actor: Actor,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed =
        previousUntil === null
          ? await tx.run(
              'UPDATE webhook_endpoints SET secret = ?, previous_secret = NULL, previous_until = NULL, updated_at = ? WHERE id = ?',
              [sealed, at, id],
            )
          : await tx.run(
              'UPDATE webhook_endpoints SET previous_secret = secret, previous_until = ?, secret = ?, updated_at = ? WHERE id = ?',
              [previousUntil, sealed, at, id],
            );
      if (changed === 0) return false;
      await recordOperatorEvent(
        tx,
        actor,
        'webhook.rotate_secret',
        id,
        {
          previous_signs_until:
            previousUntil === null ? null : new Date(previousUntil).toISOString(),
        },
        at,
      );
      await this.signal(tx);
      return true;
    });
  }

  setEnabled(
    id: string,
    enabled: boolean,
    reason: string | null,
    at: number,
    actor: Actor,
    detail: JsonObject = {},
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run(
        'UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, failing_since = NULL, updated_at = ? WHERE id = ? AND enabled = ?',
        [enabled ? 1 : 0, enabled ? null : reason, at, id, enabled ? 0 : 1],
      );
      if (changed === 0) return false;
      let failed = 0;
      if (!enabled) {
        failed = await tx.run(
          "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease = NULL, last_error = COALESCE(last_error, 'endpoint_disabled'), finished_at = ? WHERE endpoint_id = ? AND next_attempt_at IS NOT NULL",
          [at, id],
        );
      }
      await recordOperatorEvent(
        tx,
        actor,
        enabled ? 'webhook.enable' : 'webhook.disable',
        id,
        enabled ? detail : { reason, failed_deliveries: failed, ...detail },
        at,
      );
      await this.signal(tx);
      return true;
    });
  }

  async customers(): Promise<ReadonlySet<string>> {
    const rows = await this.db.all(
      'SELECT DISTINCT customer_id FROM webhook_endpoints WHERE enabled = 1',
    );
    return new Set(rows.map((row) => str(row.customer_id)));
  }

  async claim(claim: {
    readonly lease: string;
    readonly now: number;
    readonly leaseMs: number;
    readonly limit: number;
  }): Promise<ClaimedWebhookDelivery[]> {
    const rows = await this.db.all(this.#claim, [
      claim.lease,
      claim.now + claim.leaseMs,
      claim.now,
      claim.limit,
    ]);
    return rows.map((row) => ({ ...toDelivery(row), lease: str(row.lease) }));
  }

  record(attempt: WebhookAttempt): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run(RECORD_ATTEMPT, [
        attempt.status,
        attempt.attempts,
        attempt.nextAttemptAt,
        attempt.at,
        attempt.httpStatus,
        attempt.error,
        attempt.response,
        attempt.nextAttemptAt === null ? attempt.at : null,
        attempt.id,
        attempt.lease,
      ]);
      if (changed === 0) return false;
      if (attempt.status === 'delivered') {
        await tx.run(
          'UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL',
          [attempt.endpointId],
        );
      } else {
        await tx.run(
          'UPDATE webhook_endpoints SET failing_since = ? WHERE id = ? AND failing_since IS NULL',
          [attempt.at, attempt.endpointId],
        );
      }
      return true;
    });
  }

  async deliveries(endpointId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.all(
      'SELECT * FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?',
      [endpointId, limit],
    );
    return rows.map(toDelivery);
  }

  async delivery(id: number): Promise<WebhookDelivery | undefined> {
    const row = await this.db.get('SELECT * FROM webhook_deliveries WHERE id = ?', [id]);
    return row && toDelivery(row);
  }

  redeliver(id: number, at: number, actor: Actor): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const changed = await tx.run(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease = NULL, finished_at = NULL WHERE id = ?",
        [at, id],
      );
      if (changed === 0) return false;
      await recordOperatorEvent(tx, actor, 'webhook.redeliver', `whd_${id}`, null, at);
      return true;
    });
  }

  async action(id: string): Promise<ActionRecord | undefined> {
    const row = await this.db.get('SELECT * FROM actions WHERE id = ?', [id]);
    return row && toAction(row);
  }

  async stats(): Promise<WebhookQueueStats> {
    const row = await this.db.get(
      'SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL',
    );
    return {
      pending: row === undefined ? 0 : num(row.pending),
      oldestPendingAt: row === undefined ? null : numOrNull(row.oldest),
    };
  }
}
