import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. Webhook endpoints of customers, and the outbox of their deliveries.
 *
 * An endpoint's signing secret is sealed like a provider credential; during a rotation's overlap
 * the previous one (`previous_secret`, until `previous_until`) signs too. `events` is `NULL` for
 * every event type, else the subscribed types as `,type,type,` (matched with `LIKE`, portable).
 *
 * A delivery is one event for one endpoint, written in the same commit as the change that caused
 * it (the audit batch of the request, the settlement of the action). `event_id` is the
 * `webhook-id` every attempt carries. Instances take due deliveries by moving `next_attempt_at`
 * one lease ahead, so a delivery whose instance died is due again when its lease runs out;
 * `next_attempt_at` is `NULL` once it is delivered or has failed for good.
 */
export const up = ({ bigint, autoIdPrimaryKey }: SqlCapabilities): readonly string[] => [
  `CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until ${bigint},
    enabled INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    failing_since ${bigint},
    created_at ${bigint} NOT NULL,
    updated_at ${bigint} NOT NULL
  )`,
  'CREATE INDEX webhook_endpoints_customer ON webhook_endpoints (customer_id)',
  `CREATE TABLE webhook_deliveries (
    id ${autoIdPrimaryKey},
    event_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    type TEXT NOT NULL,
    action_id TEXT NOT NULL,
    created_at ${bigint} NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at ${bigint},
    lease TEXT,
    last_attempt_at ${bigint},
    last_status INTEGER,
    last_error TEXT,
    last_response TEXT,
    finished_at ${bigint},
    UNIQUE (event_id, endpoint_id)
  )`,
  'CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL',
  'CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id)',
];
