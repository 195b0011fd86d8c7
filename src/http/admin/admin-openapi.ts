import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { ADMIN_TOKEN_PREFIX } from '../../domain/admin-token.js';
import { ADMIN_BEARER, ADMIN_TAGS } from './admin-schemas.js';

export const ADMIN_OPENAPI_PATH = '/admin/v1/openapi.json';

const packageVersion = (): string => {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
};

const DESCRIPTION = [
  "The admin API of heo-power, for the hosting company's own systems (dashboard, billing): API",
  'keys, VPS, game servers and providers, through the same rules as the `heo-power` CLI, whose',
  '`--json` output its answers repeat. It listens on a port of its own (`HEO_ADMIN_PORT`), never',
  'on the public one. Every request but this document needs an admin token',
  `(\`Authorization: Bearer ${ADMIN_TOKEN_PREFIX}…\`, made with \`heo-power admin-tokens create\`);`,
  "every change is written to the operator log with the token's id as its actor.",
  '',
  'Errors are the envelope of the public API, `{"success": false, "error": "<code>", "message": "..."}`:',
  '400 `invalid_request` (the message names the field; unknown fields are refused), 401',
  '`unauthorized`, 404 `not_found`, 409 `conflict` or `in_use`, 422 `refused` (a rule said no).',
  'A client address whose admin tokens failed `HEO_ADMIN_AUTH_FAILURES_PER_MINUTE` times in a',
  'minute gets 429 `rate_limited` with `Retry-After` (the seconds left) before any token is looked',
  'at. A method a path does not serve is 405 `method_not_allowed`, with `Allow` naming the methods',
  'it does, before the token is checked; an unknown path is 404.',
].join('\n');

/** No admin endpoint's body is required by the document: the handlers say what is missing. */
const finish = (document: OpenAPIV3_1.Document): OpenAPIV3_1.Document => {
  for (const item of Object.values(document.paths ?? {}) as OpenAPIV3_1.PathItemObject[]) {
    for (const method of ['post', 'patch', 'delete'] as const) {
      const body = item[method]?.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
      if (body !== undefined) body.required = method !== 'delete' && body.required === true;
    }
  }
  return document;
};

/** The OpenAPI 3.1 generator of the admin app; routes registered after it are documented. */
export const registerAdminOpenApi = (app: FastifyInstance): void => {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'heo-power admin API', version: packageVersion(), description: DESCRIPTION },
      // Relative: the admin listener that serves this document, whatever its host and port.
      servers: [
        { url: '/', description: 'The admin listener (`HEO_ADMIN_HOST`:`HEO_ADMIN_PORT`).' },
      ],
      tags: [
        { name: ADMIN_TAGS.keys, description: "Customers' API keys." },
        { name: ADMIN_TAGS.vps, description: 'VPS and who owns them.' },
        { name: ADMIN_TAGS.game, description: 'Game servers and who owns them.' },
        { name: ADMIN_TAGS.providers, description: 'The back-ends that run machines.' },
        {
          name: ADMIN_TAGS.logs,
          description: 'The power audit log and the operator log, read-only.',
        },
        {
          name: ADMIN_TAGS.webhooks,
          description: "Customers' webhook endpoints and their deliveries.",
        },
        { name: ADMIN_TAGS.reference, description: 'This document.' },
      ],
      components: {
        securitySchemes: {
          [ADMIN_BEARER]: {
            type: 'http',
            scheme: 'bearer',
            description: `An admin token: \`${ADMIN_TOKEN_PREFIX}\` followed by 40 letters and digits.`,
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

/** `GET /admin/v1/openapi.json`: the document, without a token (it holds no secret). */
export const registerAdminOpenApiRoute = (app: FastifyInstance): void => {
  let text: string | undefined;
  app.get(
    ADMIN_OPENAPI_PATH,
    {
      schema: {
        operationId: 'getAdminOpenApiDocument',
        tags: [ADMIN_TAGS.reference],
        summary: 'This OpenAPI document',
        security: [],
        response: { 200: { 'x-response-description': 'The OpenAPI document.', type: 'object' } },
      },
    },
    async (_request, reply) => {
      text ??= JSON.stringify(app.swagger());
      return reply.code(200).type('application/json; charset=utf-8').send(text);
    },
  );
};
