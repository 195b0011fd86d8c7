import { METHODS } from 'node:http';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { Errors } from './api-errors.js';
import { methodNotAllowedSchema } from './schemas/method-not-allowed-schema.js';

/**
 * Every method Node's HTTP parser accepts (WebDAV's `PROPFIND`, `LOCK`, `SEARCH`..., `PURGE`,
 * `QUERY`), so that each one can be refused on a known path like any other: without this,
 * Fastify knows only the common methods and answers the rest 404. Called before any route.
 */
export const routeEveryMethod = (app: FastifyInstance): void => {
  for (const method of METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
};

/**
 * Every other method on a known path answers 405 with `Allow`, before any authentication, and
 * before a body is read: a method that may carry one (`QUERY`) is refused like the others, not
 * for its missing or unreadable body.
 */
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
    schema: methodNotAllowedSchema,
    onRequest: async () => {
      throw Errors.methodNotAllowed(allow);
    },
    handler: async () => {
      throw Errors.methodNotAllowed(allow);
    },
  });
};
