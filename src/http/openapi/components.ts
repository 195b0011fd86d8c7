import type { OpenAPIV3_1 } from 'openapi-types';
import { Errors } from '../api-errors.js';
import { COMPONENT, ERROR_SCHEMA_NAMES, requestIdHeader } from '../schemas/common.js';

type Schema = OpenAPIV3_1.SchemaObject;
type Response = OpenAPIV3_1.ResponseObject;

/** The name of the shared 405 response under `components.responses`. */
export const METHOD_NOT_ALLOWED = 'MethodNotAllowed';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * One schema for two responses marked with the same component name: the same shape, with the
 * values of each `enum` joined (the 400 of `start` and of `reset` carry different codes; the
 * success of each action its own action and message). Anything else differing is a mistake in
 * the route schemas, reported at start.
 */
const merge = (name: string, into: Schema, from: Schema): void => {
  const mine = isRecord(into.properties) ? into.properties : {};
  const theirs = isRecord(from.properties) ? from.properties : {};
  if (!same(Object.keys(mine), Object.keys(theirs)) || !same(into.required, from.required)) {
    throw new Error(`component ${name}: responses of different shapes`);
  }
  for (const [key, value] of Object.entries(theirs)) {
    const target = mine[key] as Schema;
    const source = value as Schema;
    if (Array.isArray(target.enum) && Array.isArray(source.enum)) {
      for (const item of source.enum as unknown[]) {
        if (!(target.enum as unknown[]).some((known) => same(known, item))) target.enum.push(item);
      }
    } else if (!same(target, source)) {
      throw new Error(`component ${name}: property ${key} differs between responses`);
    }
  }
};

/** The response objects of every operation in the document. */
const responsesOf = (document: OpenAPIV3_1.Document): Response[] =>
  Object.values(document.paths ?? {}).flatMap((item) =>
    Object.values(item ?? {}).flatMap((operation: unknown) =>
      isRecord(operation) && isRecord(operation.responses)
        ? (Object.values(operation.responses) as Response[])
        : [],
    ),
  );

/**
 * Moves every response schema marked with a component name (`x-component`) to
 * `components.schemas` and refers to it from the response, so a client generator gets one named
 * type per family's success and per status's error envelope.
 */
export const hoistComponents = (document: OpenAPIV3_1.Document): void => {
  const schemas: Record<string, Schema> = {};
  for (const response of responsesOf(document)) {
    for (const media of Object.values(response.content ?? {})) {
      const schema: unknown = media.schema;
      if (!isRecord(schema)) continue;
      const { [COMPONENT]: name, ...rest } = schema;
      if (typeof name !== 'string') continue;
      const clean = rest as Schema;
      const known = schemas[name];
      if (known === undefined) schemas[name] = structuredClone(clean);
      else merge(name, known, clean);
      media.schema = { $ref: `#/components/schemas/${name}` };
    }
  }
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, ...sorted(schemas) };
};

const sorted = <T>(record: Readonly<Record<string, T>>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

/**
 * Any method but the ones a path serves: not operations (OpenAPI has no field for most of the
 * methods refused, QUERY and the WebDAV methods among them), described once.
 */
export const methodNotAllowedComponents = (): {
  readonly schema: Schema;
  readonly response: Response;
} => {
  const error = Errors.methodNotAllowed('POST');
  return {
    schema: {
      type: 'object',
      required: ['success', 'error', 'message'],
      properties: {
        success: { type: 'boolean', enum: [false] },
        error: {
          type: 'string',
          enum: [error.code],
          description: 'A stable, machine-readable code.',
        },
        message: { type: 'string', description: 'A human-readable explanation.' },
      },
      additionalProperties: false,
    },
    response: {
      description:
        'Any other method on a known path (every method Node accepts, WebDAV and QUERY included), ' +
        'before authentication and before a body is read. `Allow` names the methods the path serves.',
      headers: {
        'X-Request-Id': {
          description: requestIdHeader.description as string,
          schema: { type: 'string' },
        },
        Allow: {
          description: '`POST` on the power endpoints; `GET, HEAD` on the others.',
          schema: { type: 'string', enum: ['POST', 'GET, HEAD'] },
        },
      },
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${ERROR_SCHEMA_NAMES[405] ?? ''}` },
          examples: {
            method_not_allowed: { summary: 'GET on a power endpoint', value: error.toBody() },
          },
        },
      },
    },
  };
};
