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
  otherMethods: 'Other methods',
} as const;

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
        'Optional. 1 to 128 letters, digits, `.`, `_`, `:` or `-`: used as the id of the request ' +
        'in our logs and audit records and echoed. Any other value is ignored and an id is generated.',
      examples: ['client-trace-0001'],
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
        'Seconds to wait before trying again: on 429, until the key may make requests again.',
      examples: [Number(value)],
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
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * A documented error status: the envelope, the codes it may carry, every case as a named example
 * with the exact body, and the headers those errors set.
 */
export const errorResponse = (
  description: string,
  cases: readonly ErrorCase[],
  options: ErrorResponseOptions = {},
): JsonSchema => {
  const headers: Record<string, JsonSchema> = { 'X-Request-Id': requestIdHeader };
  if (options.rateLimited === true) Object.assign(headers, rateLimitHeaders);
  for (const { error } of cases) {
    for (const [name, value] of Object.entries(error.headers)) {
      const documented = ERROR_HEADERS[name];
      if (documented === undefined) throw new Error(`undocumented error header ${name}`);
      headers[documented.name] = documented.schema(value);
    }
  }
  return {
    'x-response-description': description,
    type: 'object',
    required: ['success', 'error', 'message'],
    properties: {
      success: { type: 'boolean', const: false },
      error: { type: 'string', enum: unique(cases.map((c): ErrorCode => c.error.code)) },
      message: { type: 'string' },
    },
    additionalProperties: false,
    'x-examples': Object.fromEntries(
      cases.map((c) => [c.name, { summary: c.summary, value: c.error.toBody() }]),
    ),
    headers,
  };
};
