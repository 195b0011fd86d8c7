import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestHeaders, requestIdHeader, TAGS } from '../schemas/common.js';
import { refuseOtherMethods } from '../method-not-allowed.js';

export const OPENAPI_PATH = '/openapi.json';

export interface OpenApiRouteOptions {
  /** The base URL the document names in `servers`; `null`: the origin of the request for it. */
  readonly publicUrl: string | null;
}

/** A host as a browser or client would have sent it: a name or address, and maybe a port. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * Where the request for the document was sent (the `Host` header, or what a trusted proxy
 * forwarded): the docs page and generated clients then call the server they read it from. A
 * host that is not one falls back to `/`, the document's own origin.
 */
const originOf = (request: FastifyRequest): string =>
  HOST.test(request.host) ? `${request.protocol}://${request.host}` : '/';

const PLACEHOLDER = '\u0000';

/** The OpenAPI 3.1 document, generated from the route schemas once the app is ready. */
export const registerOpenApiRoute = (app: FastifyInstance, options: OpenApiRouteOptions): void => {
  // The document's text without its server URL, serialised once: `[head, tail]`.
  let parts: readonly [string, string] | undefined;
  const documentFor = (serverUrl: string): string => {
    if (parts === undefined) {
      const { openapi, info, ...rest } = app.swagger() as unknown as Record<string, unknown>;
      const text = JSON.stringify({ openapi, info, servers: [{ url: PLACEHOLDER }], ...rest });
      const [head = '', tail = ''] = text.split(JSON.stringify(PLACEHOLDER));
      parts = [head, tail];
    }
    return `${parts[0]}${JSON.stringify(serverUrl)}${parts[1]}`;
  };
  app.route({
    method: ['GET', 'HEAD'],
    url: OPENAPI_PATH,
    schema: {
      operationId: 'getOpenApiDocument',
      tags: [TAGS.reference],
      summary: 'This OpenAPI document',
      description:
        'The OpenAPI 3.1 document of heo-power, generated from its route schemas. Its `servers` ' +
        'names `HEO_PUBLIC_URL`, or else the origin this request was sent to.',
      security: [],
      headers: requestHeaders,
      response: {
        200: {
          'x-response-description': 'The OpenAPI document.',
          type: 'object',
          headers: { 'X-Request-Id': requestIdHeader },
        },
      },
    },
    handler: async (request, reply) => {
      const document = documentFor(options.publicUrl ?? originOf(request));
      return reply.type('application/json; charset=utf-8').send(document);
    },
  });
  refuseOtherMethods(app, OPENAPI_PATH, ['GET', 'HEAD']);
};
