import type { FastifyInstance, HTTPMethods } from 'fastify';
import { Errors } from './api-errors.js';
import { methodNotAllowedSchema } from './schemas/method-not-allowed-schema.js';

/** Every other method on a known path answers 405 with `Allow`, before any authentication. */
export const refuseOtherMethods = (
  app: FastifyInstance,
  url: string,
  allowed: readonly HTTPMethods[],
): void => {
  const allow = allowed.join(', ');
  const others = app.supportedMethods.filter((method) => !allowed.includes(method));
  app.route({
    method: others,
    url,
    schema: methodNotAllowedSchema(allow),
    handler: async () => {
      throw Errors.methodNotAllowed(allow);
    },
  });
};
