import type { FastifyInstance, HTTPMethods } from 'fastify';
import { Errors } from '../../domain/errors.js';

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
    handler: async () => {
      throw Errors.methodNotAllowed(allow);
    },
  });
};
