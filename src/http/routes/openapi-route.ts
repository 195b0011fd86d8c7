import type { FastifyInstance } from 'fastify';
import { requestHeaders, requestIdHeader, TAGS } from '../schemas/common.js';
import { refuseOtherMethods } from '../method-not-allowed.js';

export const OPENAPI_PATH = '/openapi.json';

/** The OpenAPI 3.1 document, generated from the route schemas once the app is ready. */
export const registerOpenApiRoute = (app: FastifyInstance): void => {
  let document: string | undefined;
  app.route({
    method: ['GET', 'HEAD'],
    url: OPENAPI_PATH,
    schema: {
      tags: [TAGS.reference],
      summary: 'This OpenAPI document',
      description: 'The OpenAPI 3.1 document of heo-power, generated from its route schemas.',
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
    handler: async (_request, reply) => {
      document ??= JSON.stringify(app.swagger());
      return reply.type('application/json; charset=utf-8').send(document);
    },
  });
  refuseOtherMethods(app, OPENAPI_PATH, ['GET', 'HEAD']);
};
