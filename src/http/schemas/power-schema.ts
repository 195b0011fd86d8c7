import type { FastifySchema } from 'fastify';
import { Errors } from '../api-errors.js';
import type { PowerAction, PowerFamily, ProviderReason } from '../../domain/power.js';
import {
  confirmationRequired,
  deniedError,
  successBody,
  successMessage,
} from '../power-answers.js';
import { BODY_LIMIT_BYTES } from '../body-parsers.js';
import {
  BEARER_AUTH,
  COMPONENT,
  type ErrorCase,
  errorResponse,
  type JsonSchema,
  rateLimitHeaders,
  requestHeaders,
  requestIdHeader,
} from './common.js';
import { IdempotencyKeyProblems } from '../../domain/idempotency-key.js';

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** The tag grouping a family's operations: `VPS power`, `Game server power`. */
export const familyTag = (family: PowerFamily): string => `${capitalised(family.noun)} power`;

export const familyTagDescription = (family: PowerFamily): string =>
  `Power actions for customer-scoped ${family.noun}s: \`${family.basePath}/{${family.pathParam}}/{action}\`. ` +
  `Every action is a \`POST\` with an API key; only ${family.noun} IDs within the key's scope can be acted on.`;

/** How the document names a family in operation ids and component names. */
const FAMILY_NAMES: { readonly [type in PowerFamily['type']]: string } = {
  vps: 'Vps',
  game: 'GameServer',
};

/** `startVps`, `killGameServer`: stable names for generated clients. */
export const powerOperationId = (family: PowerFamily, action: PowerAction): string =>
  `${action}${FAMILY_NAMES[family.type]}`;

/** The component name of a family's success body: `VpsPowerResult`, `GameServerPowerResult`. */
export const powerResultName = (family: PowerFamily): string =>
  `${FAMILY_NAMES[family.type]}PowerResult`;

/** Every `reason` of a 502, and what it means. */
export const PROVIDER_REASONS: readonly (readonly [ProviderReason, string])[] = [
  ['machine_not_running', 'The machine is not running (e.g. a reset of a stopped VPS)'],
  ['machine_busy', 'The machine is busy or locked (another task, a backup, a migration)'],
  ['machine_suspended', 'The machine is suspended by its back-end'],
  ['provider_unreachable', 'The back-end could not be reached'],
  ['provider_timeout', 'The back-end did not answer in time (the action may still happen)'],
  ['provider_rejected', 'The back-end refused the action'],
];

/** A Retry-After for the document's 429 example; the real value is what is left of the window. */
const EXAMPLE_RETRY_AFTER = 30;

const params = (family: PowerFamily): JsonSchema => ({
  type: 'object',
  required: [family.pathParam],
  properties: {
    [family.pathParam]: {
      type: 'string',
      description:
        `The ${family.noun} ID shown in your HEO Systems dashboard or returned by an authorized ` +
        "integration workflow. An ID that is unknown or outside the key's scope gets the same 403.",
      examples: [family.exampleId],
    },
  },
});

// No example or default: the docs page would fill it in and confirm every call made from it.
const forceQuery = (action: PowerAction): JsonSchema => ({
  type: 'object',
  properties: {
    force: {
      type: 'string',
      enum: ['true'],
      description:
        `\`force=true\` confirms the ${action}. Any other value (\`TRUE\`, \`1\`, a repeated ` +
        'parameter) is not refused as invalid: it is no confirmation, answered 400 ' +
        '`confirmation_required`.',
    },
  },
});

const BODY_RULES =
  `Optional; at most ${BODY_LIMIT_BYTES} bytes of JSON (\`Content-Type: application/json\`). ` +
  'An empty body is no body, whatever its content type.';

// Named examples, the empty object first: the docs page starts from the first, so a call made
// from it confirms nothing unless the user picks or types the confirmation.
const body = (family: PowerFamily, action: PowerAction): JsonSchema =>
  family.confirm.has(action)
    ? {
        type: 'object',
        description:
          `${BODY_RULES} A JSON object whose \`force\` is \`true\` or \`"true"\` confirms the ${action}; ` +
          'any other body (another value, another JSON type) is not refused as invalid: it is no confirmation.',
        properties: {
          force: {
            enum: [true, 'true'],
            description: `\`true\` or \`"true"\` confirms the ${action}.`,
          },
        },
        'x-examples': {
          unconfirmed: { summary: 'No confirmation (answered 400)', value: {} },
          confirmed: { summary: `Confirm the ${action}`, value: { force: true } },
        },
      }
    : {
        type: 'object',
        description: `${BODY_RULES} Its content is ignored (any JSON value is accepted).`,
        'x-examples': { empty: { summary: 'No content', value: {} } },
      };

const success = (family: PowerFamily, action: PowerAction): JsonSchema => ({
  'x-response-description':
    'The back-end accepted the action; the machine may take a while to reach the state.',
  [COMPONENT]: powerResultName(family),
  type: 'object',
  required: ['success', 'action', family.idField, 'status', 'message'],
  properties: {
    success: { type: 'boolean', const: true },
    action: { type: 'string', const: action },
    [family.idField]: { type: 'string' },
    status: {
      type: 'string',
      const: 'requested',
      description: 'The back-end accepted the action; the machine may still be on its way.',
    },
    message: { type: 'string', const: successMessage(action) },
  },
  additionalProperties: false,
  examples: [successBody(family, action, family.exampleId)],
  headers: {
    'X-Request-Id': requestIdHeader,
    Location: {
      type: 'string',
      description:
        `The action's handle: \`GET\` it (\`${family.basePath}/{${family.pathParam}}/actions/{action_id}\`) ` +
        'with a `read` or `power` key to follow the action. A path, without scheme and host.',
      examples: [`${family.basePath}/${family.exampleId}/actions/act_4mXq8TzR2bVnL0cJ7wYe`],
    },
    ...rateLimitHeaders,
    ...replayedHeader,
  },
});

const replayedHeader: Readonly<Record<string, JsonSchema>> = {
  'Idempotent-Replayed': {
    type: 'string',
    enum: ['true'],
    // Not on every answer of its status: the document's tests check it on replays.
    'x-sent-on': 'replays',
    description:
      'Sent on the answer to a retry with the `Idempotency-Key` of a request that ended: the ' +
      "status, body and `Location` are the first request's, and the back-end was not called again.",
  },
};

/** `Retry-After` comes with `idempotency_key_in_use` only: waiting does not help the other 409. */
const sentOnInUse = (response: JsonSchema): JsonSchema => {
  const headers = response.headers as Record<string, Record<string, unknown>>;
  const retryAfter = headers['Retry-After'];
  if (retryAfter !== undefined) retryAfter['x-sent-on'] = 'idempotency_key_in_use';
  return response;
};

/** The power routes' request headers: the shared ones and `Idempotency-Key`. */
const powerHeaders: JsonSchema = {
  ...requestHeaders,
  properties: {
    ...(requestHeaders.properties as Readonly<Record<string, unknown>>),
    'idempotency-key': {
      type: 'string',
      description:
        'Optional, e.g. `"7f4c1a52-3a5e-4e0b-9a43-2f1d8c5b6e10"`: makes the request safe to retry. ' +
        'A Structured Field string (RFC 8941, in double quotes) or a bare token, of 1 to 255 ' +
        'printable ASCII characters; anything else is answered 400. Keys belong to the API key ' +
        'that sends them and are remembered for 24 hours (`HEO_IDEMPOTENCY_TTL`). A retry with ' +
        'the same key and the same request (path, confirmation, body) gets the first answer ' +
        'again, marked `Idempotent-Replayed: true`, and never calls the back-end a second time; ' +
        'while the first is running it is answered 409 with `Retry-After`; the same key on a ' +
        'different request is answered 422. Refusals before the back-end is called (400, 401, ' +
        '403, 429) are not remembered.',
    },
  },
};

const badRequestCases = (family: PowerFamily, action: PowerAction): ErrorCase[] => [
  ...(family.confirm.has(action)
    ? [
        {
          name: 'confirmation_required',
          summary: `No confirmation: neither force=true in the query nor {"force": true} in the body`,
          error: confirmationRequired(action),
        },
      ]
    : []),
  {
    name: 'invalid_json',
    summary: 'The body is not valid JSON',
    error: Errors.invalidJson(),
  },
  {
    name: 'invalid_idempotency_key',
    summary: 'The Idempotency-Key is neither a quoted string nor a token',
    error: Errors.invalidIdempotencyKey(IdempotencyKeyProblems.shape),
  },
  {
    name: 'idempotency_key_length',
    summary: 'The Idempotency-Key is empty or longer than 255 characters',
    error: Errors.invalidIdempotencyKey(IdempotencyKeyProblems.length),
  },
];

/** The schema of one power endpoint, from the family's data: one builder for both families. */
export const powerRouteSchema = (family: PowerFamily, action: PowerAction): FastifySchema => {
  const confirm = family.confirm.has(action);
  const noun = family.noun;
  return {
    operationId: powerOperationId(family, action),
    tags: [familyTag(family)],
    summary: `${capitalised(action)} a ${noun}`,
    description:
      `Requests a ${action} action for the ${noun}. A success means the back-end accepted the ` +
      `action; the ${noun} may take additional time to reach the requested state.` +
      (confirm
        ? ` ${capitalised(action)} requires confirmation with \`force=true\`, either as a query ` +
          'parameter or in a JSON request body.'
        : ''),
    security: [{ [BEARER_AUTH]: [] }],
    params: params(family),
    ...(confirm ? { querystring: forceQuery(action) } : {}),
    headers: powerHeaders,
    body: body(family, action),
    response: {
      200: success(family, action),
      400: errorResponse(
        confirm
          ? `The ${action} is not confirmed, or the request is malformed (e.g. a body that is not valid JSON).`
          : 'The request is malformed (e.g. a body that is not valid JSON).',
        badRequestCases(family, action),
        { rateLimited: true },
      ),
      401: errorResponse(
        'No `Authorization: Bearer` header, another scheme, or a malformed, unknown, revoked or expired key.',
        [{ name: 'unauthorized', summary: 'No valid API key', error: Errors.unauthenticated() }],
      ),
      403: errorResponse(
        `The ${noun} is not within the key's scope or does not exist (the same answer for both), ` +
          'or the key may only read.',
        [
          {
            name: 'denied',
            summary: `The ${noun} is not within the key's scope`,
            error: deniedError(family),
          },
          {
            name: 'insufficient_scope',
            summary: 'A read key asks for a power action',
            error: Errors.insufficientScope(),
          },
        ],
        { rateLimited: true },
      ),
      409: sentOnInUse(
        errorResponse(
          'The `Idempotency-Key` belongs to a request that is still running (try again after ' +
            '`Retry-After`), or to one that ended without its outcome being recorded (its instance ' +
            'stopped, or the store failed as the outcome was written): the back-end may or may not ' +
            "have taken the action, and it is never sent again with this key. Check the machine's " +
            'actions and state before a new request with a new key.',
          [
            {
              name: 'idempotency_key_in_use',
              summary: 'The first request with this key is still running',
              error: Errors.idempotencyKeyInUse(),
            },
            {
              name: 'idempotency_key_outcome_unknown',
              summary: 'The first request with this key ended without a recorded outcome',
              error: Errors.idempotencyOutcomeUnknown(),
            },
          ],
          { rateLimited: true },
        ),
      ),
      422: errorResponse(
        'The `Idempotency-Key` was used with this API key for a different request (another ' +
          'machine, action, confirmation or body); nothing was done.',
        [
          {
            name: 'idempotency_key_reused',
            summary: 'The key was used for a different request',
            error: Errors.idempotencyKeyReused(),
          },
        ],
        { rateLimited: true },
      ),
      404: errorResponse(
        'The path names no endpoint (an action of the other family, a trailing slash, another ' +
          'case...): answered before authentication.',
        [{ name: 'not_found', summary: 'No such endpoint', error: Errors.notFound() }],
      ),
      408: errorResponse(
        'The request body did not arrive in time; the connection is closed.',
        [
          {
            name: 'request_timeout',
            summary: 'Body not received in time',
            error: Errors.requestTimeout(),
          },
        ],
        { rateLimited: true },
      ),
      413: errorResponse(
        `The body is larger than ${BODY_LIMIT_BYTES} bytes.`,
        [
          {
            name: 'payload_too_large',
            summary: 'Body too large',
            error: Errors.payloadTooLarge(BODY_LIMIT_BYTES),
          },
        ],
        { rateLimited: true },
      ),
      415: errorResponse(
        'A non-empty body that is not JSON.',
        [
          {
            name: 'unsupported_media_type',
            summary: 'Body is not JSON',
            error: Errors.unsupportedMediaType(),
          },
        ],
        { rateLimited: true },
      ),
      429: errorResponse(
        'The key is over its limit (refused requests count against it), or the client address has ' +
          'used up its budget of failed authentications (answered before any key is looked at, ' +
          'so without the `RateLimit-*` headers). `Retry-After` says when the window ends.',
        [
          {
            name: 'rate_limited',
            summary: 'The key is over its limit',
            error: Errors.rateLimited(EXAMPLE_RETRY_AFTER),
          },
          {
            name: 'address_refused',
            summary: 'Too many failed authentications from this address',
            error: Errors.rateLimited(EXAMPLE_RETRY_AFTER),
          },
        ],
        { rateLimited: true },
      ),
      500: errorResponse(
        'A fault of ours, e.g. the audit record could not be written (the action may have reached ' +
          'the back-end). Nothing internal is ever in the message.',
        [{ name: 'internal_error', summary: 'Internal error', error: Errors.internal() }],
        { rateLimited: true },
      ),
      502: errorResponse(
        'The back-end did not accept the action: it refused, was unreachable, timed out or failed. ' +
          '`reason` says which, as a stable code.',
        PROVIDER_REASONS.map(([reason, summary]) => ({
          name: reason,
          summary,
          error: Errors.providerRefused(reason),
        })),
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
    },
  };
};
