import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { KEY_LENGTH, KEY_PREFIX } from '../../domain/api-key.js';
import { FAMILIES } from '../../domain/power.js';
import { BEARER_AUTH, ERROR_SCHEMA_NAMES, TAGS } from '../schemas/common.js';
import { familyTag, familyTagDescription } from '../schemas/power-schema.js';
import { hoistComponents, METHOD_NOT_ALLOWED, methodNotAllowedComponents } from './components.js';
import { overview } from './overview.js';
import { WEBHOOKS_TAG, webhooksSection } from './webhooks.js';

const packageVersion = (): string => {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The fields of an OpenAPI 3.1 path item: its methods and what describes them all. */
const PATH_ITEM_FIELDS: ReadonlySet<string> = new Set([
  ...METHODS,
  '$ref',
  'summary',
  'description',
  'servers',
  'parameters',
]);

/** `getHealth` → `headHealth`: the HEAD of a route is an operation of its own. */
const headOperationId = (getId: string | undefined): string | undefined =>
  getId?.replace(/^get/, 'head');

/**
 * What the route schemas cannot say by themselves, applied to the generated document:
 * - no heo-power endpoint requires a body (the generator marks every documented body required);
 * - a HEAD answer has no body, and an operation id of its own;
 * - the response schemas marked as components are listed once and referred to;
 * - 405 is one shared response, not an operation per method and path.
 */
const finish = (document: OpenAPIV3_1.Document): OpenAPIV3_1.Document => {
  for (const item of Object.values(document.paths ?? {}) as OpenAPIV3_1.PathItemObject[]) {
    for (const field of Object.keys(item)) {
      if (!PATH_ITEM_FIELDS.has(field)) Reflect.deleteProperty(item, field);
    }
    for (const method of METHODS) {
      const body = item[method]?.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
      if (body !== undefined) body.required = false;
    }
    if (item.head !== undefined) {
      // The generator shares one operation object between the methods of a route.
      const head = structuredClone(item.head);
      for (const response of Object.values(head.responses)) {
        delete (response as OpenAPIV3_1.ResponseObject).content;
      }
      const id = headOperationId(head.operationId);
      if (id !== undefined) head.operationId = id;
      item.head = head;
    }
  }
  hoistComponents(document);
  document.webhooks = webhooksSection();
  const notAllowed = methodNotAllowedComponents();
  const components = (document.components ??= {});
  components.schemas = {
    ...components.schemas,
    [ERROR_SCHEMA_NAMES[405] ?? 'MethodNotAllowedError']: notAllowed.schema,
  };
  components.responses = { ...components.responses, [METHOD_NOT_ALLOWED]: notAllowed.response };
  return document;
};

/**
 * Registers the OpenAPI 3.1 generator. Routes registered after it are documented from their
 * schemas; `fastify.swagger()` returns the document once the app is ready.
 */
export const registerOpenApiDocument = (app: FastifyInstance): void => {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'heo-power',
        version: packageVersion(),
        description: overview(),
      },
      tags: [
        ...FAMILIES.map((family) => ({
          name: familyTag(family),
          description: familyTagDescription(family),
        })),
        { name: TAGS.health, description: 'Liveness and readiness for load balancers.' },
        { name: TAGS.reference, description: 'This document.' },
        WEBHOOKS_TAG,
      ],
      components: {
        securitySchemes: {
          [BEARER_AUTH]: {
            type: 'http',
            scheme: 'bearer',
            description: `An API key: \`${KEY_PREFIX}\` followed by ${KEY_LENGTH - KEY_PREFIX.length} letters and digits.`,
          },
        },
      },
    },
    transformObject: (documentObject) =>
      finish(
        ('openapiObject' in documentObject
          ? documentObject.openapiObject
          : documentObject.swaggerObject) as OpenAPIV3_1.Document,
      ),
  });
};
