import type { FastifySchema } from 'fastify';
import type { PowerFamily } from '../../domain/power.js';
import { Refusals } from '../../domain/refusal.js';
import type { ActionError } from '../../services/follow-rules.js';
import { Errors } from '../api-errors.js';
import { deniedError, refusalError } from '../power-answers.js';
import { DEFAULT_PAGE, MAX_PAGE } from '../read-answers.js';
import {
  BEARER_AUTH,
  COMPONENT,
  errorResponse,
  type JsonSchema,
  rateLimitHeaders,
  requestHeaders,
  requestIdHeader,
} from './common.js';
import { familyTag } from './power-schema.js';

const NAMES: { readonly [type in PowerFamily['type']]: string } = {
  vps: 'Vps',
  game: 'GameServer',
};

export type ReadRouteName = 'listMachines' | 'listActions' | 'getAction' | 'getStatus';

const ACTION_STATUSES = ['requested', 'in_progress', 'succeeded', 'failed', 'timed_out'];
const ACTION_ERRORS: readonly ActionError[] = [
  'task_failed',
  'machine_removed',
  'deadline_exceeded',
  'provider_unreachable',
];

const machineParam = (family: PowerFamily): JsonSchema => ({
  [family.pathParam]: {
    type: 'string',
    description: `The ${family.noun} ID. An ID that is unknown or outside the key's scope gets the same 403.`,
    examples: [family.exampleId],
  },
});

const pageQuery: JsonSchema = {
  type: 'object',
  properties: {
    limit: {
      type: 'string',
      pattern: '^[1-9][0-9]{0,2}$',
      description: `Page size, a whole number from 1 to ${MAX_PAGE} (default ${DEFAULT_PAGE}).`,
    },
    cursor: {
      type: 'string',
      description: 'The `next_cursor` of the previous page, as it was given (opaque).',
    },
  },
};

export const actionProperties = (family: PowerFamily): JsonSchema => ({
  action_id: { type: 'string', pattern: '^act_[A-Za-z0-9]{20}$' },
  action: { type: 'string', enum: [...family.actions] },
  [family.idField]: { type: 'string' },
  status: {
    type: 'string',
    enum: ACTION_STATUSES,
    description:
      '`requested`: the back-end accepted it; `in_progress`: heo-power has looked at it and it has not ended; `succeeded`, `failed`, `timed_out`: ended (`finished_at` is set).',
  },
  requested_at: { type: 'string', format: 'date-time' },
  finished_at: { type: ['string', 'null'], format: 'date-time' },
  error: {
    type: ['string', 'null'],
    enum: [...ACTION_ERRORS, null],
    description:
      'Null, or why the action did not succeed: `task_failed` (the back-end task ended in an error), `machine_removed` (the machine left heo-power or its back-end while followed), `deadline_exceeded` (it did not get there in time), `provider_unreachable` (the back-end could not be read until the deadline).',
  },
});

export const ACTION_FIELDS = [
  'action_id',
  'action',
  'status',
  'requested_at',
  'finished_at',
  'error',
];

const headers = { 'X-Request-Id': requestIdHeader, ...rateLimitHeaders };

/** What every read route may answer but its 200 and its own refusals. */
const everyRead = () =>
  ({
    401: errorResponse(
      'No `Authorization: Bearer` header, another scheme, or a malformed, unknown, revoked or expired key.',
      [{ name: 'unauthorized', summary: 'No valid API key', error: Errors.unauthenticated() }],
    ),
    429: errorResponse(
      'The key is over its limit of reads (counted apart from its power actions), or the client ' +
        'address has used up its budget of failed authentications.',
      [{ name: 'rate_limited', summary: 'Over the read limit', error: Errors.rateLimited(30) }],
      { rateLimited: true },
    ),
    500: errorResponse(
      'A fault of ours, e.g. the store answered with an error. Nothing internal is ever in the message.',
      [{ name: 'internal_error', summary: 'Internal error', error: Errors.internal() }],
      { rateLimited: true },
    ),
    503: errorResponse(
      'The store is unreachable or did not answer in time; try again after `Retry-After`.',
      [
        {
          name: 'service_unavailable',
          summary: 'Store unreachable',
          error: Errors.serviceUnavailable(),
        },
      ],
    ),
  }) as const;

/** The routes of one machine: unknown and foreign ids get the family's one 403. */
const machineRefusals = (family: PowerFamily) =>
  ({
    403: errorResponse(
      `The ${family.noun} is not within the key's scope or does not exist (the same answer for both).`,
      [
        {
          name: 'denied',
          summary: `The ${family.noun} is not within the key's scope`,
          error: deniedError(family),
        },
      ],
      { rateLimited: true },
    ),
    ...everyRead(),
  }) as const;

const badPage = (family: PowerFamily) =>
  errorResponse(
    'A `limit` that is not a whole number from 1 to 100, or a `cursor` this API did not give out.',
    [
      {
        name: 'invalid_limit',
        summary: 'Bad limit',
        error: refusalError(Refusals.invalid_limit, family, null, 0),
      },
      {
        name: 'invalid_cursor',
        summary: 'Bad cursor',
        error: refusalError(Refusals.invalid_cursor, family, null, 0),
      },
    ],
    { rateLimited: true },
  );

/** The schema of a read route of a family, with a stable operation id. */
export const readRouteSchema = (family: PowerFamily, name: ReadRouteName): FastifySchema => {
  const noun = family.noun;
  const base = {
    tags: [familyTag(family)],
    security: [{ [BEARER_AUTH]: [] }],
    headers: requestHeaders,
  };
  const one = {
    type: 'object',
    required: [family.pathParam],
    properties: machineParam(family),
  };
  if (name === 'listMachines') {
    const field = family.type === 'vps' ? 'vps' : 'servers';
    return {
      ...base,
      operationId: `list${NAMES[family.type]}s`,
      summary: `The ${noun}s this key reaches`,
      description: `Every ${noun} the key may act on or read, sorted by ID, a page at a time. A \`read\` or \`power\` key.`,
      querystring: pageQuery,
      response: {
        200: {
          'x-response-description': `A page of the key's ${noun}s.`,
          [COMPONENT]: `${NAMES[family.type]}List`,
          type: 'object',
          required: ['success', field, 'next_cursor'],
          properties: {
            success: { type: 'boolean', const: true },
            [field]: {
              type: 'array',
              items: {
                type: 'object',
                required: [family.idField],
                properties: { [family.idField]: { type: 'string' } },
              },
            },
            next_cursor: { type: ['string', 'null'] },
          },
          additionalProperties: false,
          headers,
        },
        400: badPage(family),
        ...everyRead(),
      },
    };
  }
  if (name === 'listActions') {
    return {
      ...base,
      operationId: `list${NAMES[family.type]}Actions`,
      summary: `A ${noun}'s actions`,
      description: `The power actions of the ${noun}, newest first, since it came to its current customer. A \`read\` or \`power\` key.`,
      params: one,
      querystring: pageQuery,
      response: {
        200: {
          'x-response-description': `A page of the ${noun}'s actions.`,
          [COMPONENT]: `${NAMES[family.type]}ActionList`,
          type: 'object',
          required: ['success', 'actions', 'next_cursor'],
          properties: {
            success: { type: 'boolean', const: true },
            actions: {
              type: 'array',
              items: {
                type: 'object',
                required: [...ACTION_FIELDS, family.idField],
                properties: actionProperties(family),
              },
            },
            next_cursor: { type: ['string', 'null'] },
          },
          additionalProperties: false,
          headers,
        },
        400: badPage(family),
        ...machineRefusals(family),
      },
    };
  }
  if (name === 'getStatus') {
    return {
      ...base,
      operationId: `get${NAMES[family.type]}Status`,
      summary: `A ${noun}'s power state`,
      description:
        `The ${noun}'s power state as its back-end reports it (read at most every 2 s per ` +
        `${noun}; polls in between share the reading), and its newest action. A \`read\` or \`power\` key.`,
      params: one,
      response: {
        200: {
          'x-response-description': `The ${noun}'s state.`,
          [COMPONENT]: `${NAMES[family.type]}Status`,
          type: 'object',
          required: ['success', family.idField, 'state', 'checked_at', 'last_action'],
          properties: {
            success: { type: 'boolean', const: true },
            [family.idField]: { type: 'string' },
            state: {
              type: 'string',
              enum: ['running', 'stopped', 'starting', 'stopping', 'paused', 'unknown'],
            },
            checked_at: { type: 'string', format: 'date-time' },
            last_action: {
              type: ['object', 'null'],
              required: [...ACTION_FIELDS, family.idField],
              properties: actionProperties(family),
            },
          },
          additionalProperties: false,
          headers,
        },
        502: errorResponse(
          `The back-end could not tell the ${noun}'s state (it failed, was unreachable or did not ` +
            "answer in time). Unlike a power action's 502, it carries no `reason`.",
          [
            {
              name: 'state_unreadable',
              summary: 'Back-end did not answer',
              error: refusalError(Refusals.state_unreadable, family, null, 0),
            },
          ],
          { rateLimited: true, component: 'StateUnreadableError' },
        ),
        ...machineRefusals(family),
      },
    };
  }
  return {
    ...base,
    operationId: `get${NAMES[family.type]}Action`,
    summary: `One action of a ${noun}`,
    description: `An action by the handle its 200 gave in \`Location\`. A \`read\` or \`power\` key.`,
    params: {
      ...one,
      required: [family.pathParam, 'action_id'],
      properties: {
        ...machineParam(family),
        action_id: { type: 'string', description: 'The handle of the action (`act_…`).' },
      },
    },
    response: {
      200: {
        'x-response-description': 'The action, as far as heo-power knows.',
        [COMPONENT]: `${NAMES[family.type]}Action`,
        type: 'object',
        required: ['success', ...ACTION_FIELDS, family.idField],
        properties: { success: { type: 'boolean', const: true }, ...actionProperties(family) },
        additionalProperties: false,
        headers,
      },
      404: errorResponse(
        `The ${noun} has no such action (or had it before it came to its current customer).`,
        [
          {
            name: 'not_found',
            summary: 'No such action',
            error: refusalError(Refusals.action_not_found, family, null, 0),
          },
        ],
        { rateLimited: true },
      ),
      ...machineRefusals(family),
    },
  };
};
