import type { FastifyReply } from 'fastify';
import { JSON_TYPE } from '../conventions.js';

/**
 * Route schemas of the admin API document its contract for its OpenAPI document; the handlers
 * check what they read themselves (`FieldReader`), with messages that name the field.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

export const ADMIN_BEARER = 'adminToken';

export const ADMIN_TAGS = {
  keys: 'API keys',
  vps: 'VPS',
  game: 'Game servers',
  providers: 'Providers',
  logs: 'Logs',
  webhooks: 'Webhooks',
  reference: 'Reference',
} as const;

/** Answers are serialised here, so that a response schema documents and never reshapes. */
export const sendJson = (reply: FastifyReply, status: number, value: unknown): FastifyReply =>
  reply.code(status).type(JSON_TYPE).send(JSON.stringify(value));

const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });
const isoTime = (description: string): JsonSchema => ({
  type: ['string', 'null'],
  format: 'date-time',
  description,
});

const object = (properties: Record<string, JsonSchema>, extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
  additionalProperties: false,
  ...extra,
});

export const KEY_SCHEMA = object({
  id: { type: 'string', examples: ['key_4Yb1dQ0aZk3xN9tR'] },
  customer_id: { type: 'string', description: 'The customer the key belongs to.' },
  name: nullable('string'),
  scope: { type: 'string', enum: ['power', 'read'] },
  resources: {
    description:
      '`all` (every machine of the customer, present and future), or `vps:<id>` and `game:<id>` entries.',
    oneOf: [
      { type: 'string', const: 'all' },
      { type: 'array', items: { type: 'string' } },
    ],
  },
  allowed_ips: {
    oneOf: [
      { type: 'string', const: 'any' },
      { type: 'array', items: { type: 'string' } },
    ],
  },
  display_prefix: { type: 'string', description: 'The start of the key, to recognise it.' },
  status: { type: 'string', enum: ['active', 'revoked', 'expired'] },
  created_at: isoTime('When it was created.'),
  expires_at: isoTime('When it expires; null: never.'),
  revoked_at: isoTime('When it was revoked.'),
  last_used_at: isoTime('When it was last used (updated in batches).'),
});

const KEY_PROPERTIES = (KEY_SCHEMA.properties ?? {}) as Record<string, JsonSchema>;

export const CREATED_KEY_SCHEMA = object({
  ...KEY_PROPERTIES,
  key: { type: 'string', description: 'The key itself: shown once, never again.' },
});

export const ROTATED_KEY_SCHEMA = object({
  ...KEY_PROPERTIES,
  key: { type: 'string', description: 'The new key: shown once, never again.' },
  replaces: KEY_SCHEMA,
});

export const MACHINE_SCHEMA = object({
  type: { type: 'string', enum: ['vps', 'game'] },
  id: { type: 'string' },
  customer_id: { type: 'string', description: 'The customer who owns it.' },
  provider: { type: 'string' },
  ref: { type: 'string', description: 'How the provider knows the machine.' },
  created_at: isoTime('When it was added.'),
  assigned_at: isoTime('When it came to its current customer.'),
});

const MACHINE_PROPERTIES = (MACHINE_SCHEMA.properties ?? {}) as Record<string, JsonSchema>;

export const MOVED_MACHINE_SCHEMA = object(
  {
    ...MACHINE_PROPERTIES,
    previous_customer_id: { type: 'string' },
    unscoped_keys: { type: 'array', items: { type: 'string' } },
  },
  { required: Object.keys(MACHINE_PROPERTIES) },
);

export const REMOVED_MACHINE_SCHEMA = object({
  ...MACHINE_PROPERTIES,
  removed: { type: 'boolean', const: true },
  unscoped_keys: {
    type: 'array',
    items: { type: 'string' },
    description: 'Keys that named the machine and name it no more.',
  },
});

const SETTINGS = {
  type: 'object',
  description: 'The non-secret settings of the provider type (URL, timeouts, TLS options).',
  additionalProperties: true,
} as const;

export const PROVIDER_SCHEMA = object({
  name: { type: 'string' },
  type: { type: 'string', enum: ['simulator', 'proxmox', 'pterodactyl'] },
  settings: SETTINGS,
  credential: { ...nullable('string'), description: 'A masked hint of the credential.' },
  resources: { type: 'integer', description: 'How many machines it runs.' },
  created_at: isoTime('When it was added.'),
  updated_at: isoTime('When it was last changed.'),
});

export const ADDED_PROVIDER_SCHEMA = object({
  name: { type: 'string' },
  type: { type: 'string' },
  settings: SETTINGS,
  credential: nullable('string'),
});

export const UPDATED_PROVIDER_SCHEMA = object({
  name: { type: 'string' },
  type: { type: 'string' },
  settings: SETTINGS,
  credential: nullable('string'),
  changed: { type: 'array', items: { type: 'string' }, description: 'The settings that changed.' },
  updated_at: isoTime('When it was changed.'),
});

export const PROVIDER_TEST_SCHEMA = object({
  name: { type: 'string' },
  type: { type: 'string' },
  ok: { type: 'boolean' },
  failure: { ...nullable('string'), description: 'What failed: connection, tls, credential...' },
  message: { type: 'string' },
});

export const REMOVED_PROVIDER_SCHEMA = object({
  name: { type: 'string' },
  removed: { type: 'boolean', const: true },
});

export const WEBHOOK_EVENT_ENUM = [
  'power.action.requested',
  'power.action.succeeded',
  'power.action.failed',
  'power.action.timed_out',
];

export const WEBHOOK_SCHEMA = object({
  id: { type: 'string', description: 'The endpoint id, e.g. `whe_4Yb1dQ0aZk3xN9tR`.' },
  customer_id: { type: 'string' },
  url: { type: 'string', format: 'uri' },
  events: {
    oneOf: [
      { type: 'string', const: 'all' },
      { type: 'array', items: { type: 'string', enum: WEBHOOK_EVENT_ENUM } },
    ],
    description: '`all`, or the event types it receives.',
  },
  status: { type: 'string', enum: ['enabled', 'disabled'] },
  disabled_reason: {
    ...nullable('string'),
    description: '`gone` (the receiver answered 410), `failing` (every attempt failed for days).',
  },
  failing_since: isoTime('Since when every attempt has failed; `null` after a success.'),
  previous_secret_until: isoTime('Until when the previous secret signs too (a rotation).'),
  created_at: isoTime('When it was added.'),
  updated_at: isoTime('When it was changed.'),
});

export const CREATED_WEBHOOK_SCHEMA = object({
  ...(WEBHOOK_SCHEMA.properties as Record<string, JsonSchema>),
  secret: {
    type: 'string',
    pattern: '^whsec_[A-Za-z0-9+/]+=*$',
    description: 'The signing secret (Standard Webhooks), shown this once.',
  },
});

export const DELIVERY_SCHEMA = object({
  id: { type: 'string', description: 'The delivery id, e.g. `whd_42`.' },
  event_id: { type: 'string', description: 'The `webhook-id` of every attempt.' },
  endpoint_id: { type: 'string' },
  type: { type: 'string', enum: WEBHOOK_EVENT_ENUM },
  action_id: { type: 'string' },
  status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
  attempts: { type: 'integer', minimum: 0 },
  created_at: isoTime('When the event happened.'),
  next_attempt_at: isoTime('When it is due next; `null` once delivered or failed.'),
  last_attempt_at: isoTime('When it was last attempted.'),
  last_status: { ...nullable('integer'), description: "The receiver's last HTTP status." },
  last_error: {
    ...nullable('string'),
    description:
      'Why the last attempt failed: `status_<code>`, `timeout`, `tls`, `unreachable`, `refused_address`, `endpoint_disabled`.',
  },
  last_response: {
    ...nullable('string'),
    description: "The start of the receiver's last answer, at most 256 characters.",
  },
  finished_at: isoTime('When it was delivered or failed for good.'),
});

export const WEBHOOK_TEST_SCHEMA = object({
  delivered: { type: 'boolean' },
  status: nullable('integer'),
  error: nullable('string'),
  response: nullable('string'),
});

/** A request body: every field optional unless listed in `required`, no others accepted. */
export const bodySchema = (
  properties: Record<string, JsonSchema>,
  required: readonly string[] = [],
): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length === 0 ? {} : { required }),
  additionalProperties: false,
});

export const idParams = (name: string, description: string): JsonSchema => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', description } },
});

/** A record of the power audit log, as `heo-power audit --json` prints it. */
export const AUDIT_RECORD_SCHEMA = object({
  at: { type: 'string', format: 'date-time', description: 'When the request was answered.' },
  request_id: { type: 'string', description: 'Its `X-Request-Id`.' },
  key_id: { type: 'string', description: 'The key it was made with.' },
  customer_id: { type: 'string', description: "The key's customer." },
  resource_type: { type: 'string', enum: ['vps', 'game'] },
  resource_id: { type: 'string', description: 'As the URL named it (escaped when not an id).' },
  action: { type: 'string', enum: ['start', 'stop', 'reset', 'restart', 'kill'] },
  status: { type: 'integer', description: 'The HTTP status the client got.' },
  error: { ...nullable('string'), description: 'The error code the client got.' },
  client_ip: nullable('string'),
  provider: { ...nullable('string'), description: 'The provider that ran the action.' },
  upstream_status: { ...nullable('integer'), description: "The provider's HTTP status." },
  upstream_detail: { ...nullable('string'), description: "The provider's answer, redacted." },
  task_ref: { ...nullable('string'), description: "The provider's task reference." },
});

/** An event of the operator log: who changed which key, machine, provider or admin token. */
export const OPERATOR_EVENT_SCHEMA = object({
  at: { type: 'string', format: 'date-time' },
  actor: {
    type: 'string',
    description: '`admin:<token id>` for the admin API, the operating system user for the CLI.',
  },
  event: { type: 'string', examples: ['key.create', 'vps.move', 'provider.update'] },
  subject: { type: 'string', description: 'The key, machine, provider or token it changed.' },
  detail: {
    type: ['object', 'null'],
    additionalProperties: true,
    description: 'What changed; never a key, token or credential.',
  },
});

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'The body or query is not what the endpoint takes: the message names the field.',
  401: 'Missing, invalid, or revoked admin token.',
  404: 'No such key, machine or provider.',
  409: 'Already exists or changed meanwhile (`conflict`), or still used (`in_use`).',
  422: 'Well-formed, but refused by a rule (an invalid id, a ref the provider cannot run...).',
  429: 'Too many failed admin token checks from this client address: wait `Retry-After` seconds.',
};

const STATUS_CODES: Readonly<Record<number, readonly string[]>> = {
  400: ['invalid_request'],
  401: ['unauthorized'],
  404: ['not_found'],
  409: ['conflict', 'in_use'],
  422: ['refused'],
  429: ['rate_limited'],
};

const RETRY_AFTER = {
  'retry-after': {
    type: 'integer',
    minimum: 1,
    description: 'Seconds until the address may try again.',
  },
};

/**
 * The error answers of an operation: the one envelope, with the codes each status carries. Every
 * operation that checks the admin token (401) can also be refused 429 by the budget of failures.
 */
export const errorResponses = (...given: readonly number[]): Record<number, JsonSchema> => {
  const statuses = given.includes(401) ? [...given, 429] : given;
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        'x-response-description': STATUS_TEXT[status] ?? '',
        ...(status === 429 ? { headers: RETRY_AFTER } : {}),
        type: 'object',
        required: ['success', 'error', 'message'],
        properties: {
          success: { type: 'boolean', const: false },
          error: { type: 'string', enum: STATUS_CODES[status] ?? [] },
          message: { type: 'string', description: 'A human-readable explanation.' },
        },
        additionalProperties: false,
      },
    ]),
  );
};

export const answer = (description: string, schema: JsonSchema): JsonSchema => ({
  'x-response-description': description,
  ...schema,
});
