import type { OpenAPIV3_1 } from 'openapi-types';
import { FAMILIES } from '../../domain/power.js';
import { ACTION_FIELDS, actionProperties } from '../schemas/read-schema.js';

/**
 * The `webhooks` section of the OpenAPI 3.1 document: what heo-power POSTs to a customer's
 * endpoint for each event type, signed as Standard Webhooks 1.0 says.
 */

const EVENTS = [
  {
    type: 'power.action.requested',
    summary: 'A power action was accepted',
    description:
      'Sent when a power request was answered 200: the action as it was then (`status` ' +
      '`requested`, `finished_at` and `error` null).',
  },
  {
    type: 'power.action.succeeded',
    summary: 'A power action succeeded',
    description:
      'Sent when following the action saw it end well: the machine is where it was asked to be.',
  },
  {
    type: 'power.action.failed',
    summary: 'A power action failed',
    description:
      'Sent when the action ended without success; `error` is a stable code of heo-power.',
  },
  {
    type: 'power.action.timed_out',
    summary: 'A power action timed out',
    description: "Sent when the action did not end within its back-end's deadline.",
  },
] as const;

type Json = Readonly<Record<string, unknown>>;

const SIGNATURE_HEADERS: readonly Json[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The id of the event: the same on every retry of it; use it to drop duplicates.',
    schema: { type: 'string', examples: ['msg_2ZbQe5Vh8kX0pN4rT7aW_requested'] },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      'When this attempt was signed, in seconds since 1970: refuse ones too far from your clock.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'One or more space-separated `v1,<base64>` signatures: HMAC-SHA256 of ' +
      "`<webhook-id>.<webhook-timestamp>.<body>` with the base64-decoded part of the endpoint's " +
      '`whsec_` secret. During a secret rotation both the new and the previous secret sign.',
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
  },
];

const actionData = (): Json => ({
  description:
    'The action exactly as `GET …/{id}/actions/{action_id}` shows it (without `success`): ' +
    '`vps_id` for a VPS, `server_id` for a game server.',
  oneOf: FAMILIES.map((family) => ({
    title: family.noun,
    type: 'object',
    required: [...ACTION_FIELDS, family.idField],
    properties: actionProperties(family),
    additionalProperties: false,
  })),
});

const operation = (event: (typeof EVENTS)[number]): Json => ({
  post: {
    operationId: `webhook_${event.type.replaceAll('.', '_')}`,
    tags: ['Webhooks'],
    summary: event.summary,
    description: `${event.description} Delivered at least once, from any instance.`,
    // The receiver authenticates heo-power by the signature, not by a scheme of the document.
    security: [],
    parameters: SIGNATURE_HEADERS,
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['type', 'timestamp', 'data'],
            properties: {
              type: { type: 'string', const: event.type },
              timestamp: {
                type: 'string',
                format: 'date-time',
                description: 'When the event happened (the same on every retry).',
              },
              data: actionData(),
            },
            additionalProperties: false,
          },
        },
      },
    },
    responses: {
      '200': {
        description:
          'Any 2xx answer acknowledges the event. Answer quickly (within 10 s) and do the work later.',
      },
      '410': {
        description: 'Gone: the endpoint is disabled at once, and nothing more is sent to it.',
      },
      default: {
        description:
          'Anything else (or no answer within 10 s, or a redirect, which is not followed) is ' +
          'retried: after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±20 %), then the ' +
          'delivery fails.',
      },
    },
  },
});

export const webhooksSection = (): Record<string, OpenAPIV3_1.PathItemObject> =>
  Object.fromEntries(EVENTS.map((event) => [event.type, operation(event)]));

export const WEBHOOKS_TAG = {
  name: 'Webhooks',
  description:
    'Events heo-power POSTs to the endpoints an operator set up for a customer (`heo-power ' +
    'webhooks add`), signed as Standard Webhooks 1.0 (verify them with the `standardwebhooks` ' +
    'package, or any of its ports).',
};
