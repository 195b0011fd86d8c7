import type { ApiError, ErrorCode } from '../api-errors.js';

/**
 * Route schemas document heo-power's HTTP contract for the OpenAPI document; they never decide
 * what a request may contain (see `accept-as-is.ts`). Error responses are built from the same
 * `ApiError` constructors the handlers throw, so the document shows the bytes a client receives.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Name of the Bearer security scheme in the document. */
export const BEARER_AUTH = 'apiKey';

/** Tags of the operations that are not power actions, in the order the docs page shows them. */
export const TAGS = {
  health: 'Health',
  reference: 'Reference',
} as const;

/**
 * Marks a response schema as a named component: the document lists it once under
 * `components.schemas` and every response refers to it (see `openapi/components.ts`).
 */
export const COMPONENT = 'x-component';

/** The component name of each status's error envelope. */
export const ERROR_SCHEMA_NAMES: Readonly<Record<number, string>> = {
  400: 'BadRequestError',
  401: 'UnauthorizedError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  405: 'MethodNotAllowedError',
  408: 'RequestTimeoutError',
  413: 'PayloadTooLargeError',
  409: 'ConflictError',
  415: 'UnsupportedMediaTypeError',
  422: 'UnprocessableContentError',
  429: 'TooManyRequestsError',
  431: 'HeadersTooLargeError',
  500: 'InternalServerError',
  502: 'BadGatewayError',
  503: 'ServiceUnavailableError',
};

export const requestIdHeader: JsonSchema = {
  type: 'string',
  description:
    'The id of this request in our logs and audit records: the `X-Request-Id` the client sent ' +
    'when it was well-formed, otherwise one generated here.',
  examples: ['7919fd83-fda8-4120-a14b-9fed01b66a0a'],
};

/** The request headers every endpoint reads (besides `Authorization`, see the security scheme). */
export const requestHeaders: JsonSchema = {
  type: 'object',
  properties: {
    'x-request-id': {
      type: 'string',
      description:
        'Optional, e.g. `client-trace-0001`: 1 to 128 letters, digits, `.`, `_`, `:` or `-`, used ' +
        'as the id of the request in our logs and audit records and echoed. Any other value is ' +
        'ignored and an id is generated.',
      // No example value: the docs page would send it with every call.
    },
  },
};

/** The `RateLimit` header fields of the IETF draft, sent on every authenticated response. */
export const rateLimitHeaders: Readonly<Record<string, JsonSchema>> = {
  'RateLimit-Limit': {
    type: 'integer',
    description: 'Requests this key may make per window. Sent on every authenticated response.',
    examples: [60],
  },
  'RateLimit-Remaining': {
    type: 'integer',
    description: 'Requests left in the current window.',
    examples: [59],
  },
  'RateLimit-Reset': {
    type: 'integer',
    description: 'Seconds until the current window ends.',
    examples: [60],
  },
  'RateLimit-Policy': {
    type: 'string',
    description: 'The policy: `<limit>;w=<window seconds>`.',
    examples: ['60;w=60'],
  },
};

/** Documentation of the headers an `ApiError` may carry, keyed as `ApiError.headers` names them. */
const ERROR_HEADERS: Readonly<
  Record<string, { readonly name: string; readonly schema: (value: string) => JsonSchema }>
> = {
  'www-authenticate': {
    name: 'WWW-Authenticate',
    schema: (value) => ({
      type: 'string',
      enum: [value],
      description: 'The authentication scheme to use: an API key as a Bearer token.',
    }),
  },
  allow: {
    name: 'Allow',
    schema: (value) => ({
      type: 'string',
      enum: [value],
      description: 'The methods this path serves.',
    }),
  },
  'retry-after': {
    name: 'Retry-After',
    schema: (value) => ({
      type: 'integer',
      minimum: 1,
      description:
        'Seconds to wait before trying again: on 429, until the key (or the client address) may ' +
        'make requests again; on 409 (an `Idempotency-Key` in use) and 503, always 1.',
      examples: [Number(value)],
    }),
  },
  connection: {
    name: 'Connection',
    schema: (value) => ({
      type: 'string',
      enum: [value],
      description: 'The connection is closed after this answer.',
    }),
  },
};

/** One documented way to get an error: its name in the document, a summary, and the error. */
export interface ErrorCase {
  readonly name: string;
  readonly summary: string;
  readonly error: ApiError;
}

export interface ErrorResponseOptions {
  /** Whether the response carries the `RateLimit-*` headers (authenticated requests). */
  readonly rateLimited?: boolean;
  /** The component's name when the status's own one has another shape (fields of its own). */
  readonly component?: string;
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

const FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  reason:
    "Why the back-end did not take the action, as a stable code (never the back-end's own words).",
};

/**
 * A documented error status: the envelope, the codes it may carry, every case as a named example
 * with the exact body, and the headers those errors set.
 */
export const errorResponse = (
  description: string,
  cases: readonly ErrorCase[],
  options: ErrorResponseOptions = {},
): JsonSchema => {
  const status = cases[0]?.error.statusCode;
  const name = options.component ?? (status === undefined ? undefined : ERROR_SCHEMA_NAMES[status]);
  if (name === undefined || cases.some((c) => c.error.statusCode !== status)) {
    throw new Error(`an error response needs cases of one documented status (${description})`);
  }
  const headers: Record<string, JsonSchema> = { 'X-Request-Id': requestIdHeader };
  if (options.rateLimited === true) Object.assign(headers, rateLimitHeaders);
  for (const { error } of cases) {
    for (const [name, value] of Object.entries(error.headers)) {
      const documented = ERROR_HEADERS[name];
      if (documented === undefined) throw new Error(`undocumented error header ${name}`);
      headers[documented.name] = documented.schema(value);
    }
  }
  // Fields some errors add beside the envelope (the 502's `reason`), with every value they take.
  const extra: Record<string, JsonSchema> = {};
  const fields = unique(cases.flatMap((c) => Object.keys(c.error.fields)));
  // A field every case carries is always sent: required, so a client may rely on it.
  const always = fields.filter((field) => cases.every((c) => c.error.fields[field] !== undefined));
  for (const field of fields) {
    extra[field] = {
      type: 'string',
      enum: unique(cases.flatMap((c) => c.error.fields[field] ?? [])),
      description: FIELD_DESCRIPTIONS[field] ?? 'A stable, machine-readable detail.',
    };
  }
  return {
    'x-response-description': description,
    [COMPONENT]: name,
    type: 'object',
    required: ['success', 'error', 'message', ...always],
    properties: {
      success: { type: 'boolean', const: false },
      error: {
        type: 'string',
        enum: unique(cases.map((c): ErrorCode => c.error.code)),
        description: 'A stable, machine-readable code.',
      },
      message: { type: 'string', description: 'A human-readable explanation.' },
      ...extra,
    },
    additionalProperties: false,
    'x-examples': Object.fromEntries(
      cases.map((c) => [c.name, { summary: c.summary, value: c.error.toBody() }]),
    ),
    headers,
  };
};
