import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FAMILIES } from '../../domain/power.js';
import type { HttpConventions } from '../conventions.js';
import {
  type PowerAnswer,
  type PowerPipeline,
  type PowerRoute,
  powerRoute,
} from '../power-pipeline.js';
import { refuseOtherMethods } from '../method-not-allowed.js';
import { powerRouteSchema } from '../schemas/power-schema.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the power routes: which endpoint a route is. */
    power?: PowerRoute;
  }
}

export interface FastifyPowerDependencies {
  readonly pipeline: PowerPipeline;
  readonly conventions: HttpConventions;
}

/** The route that never runs: every request is taken over in the route's `onRequest`. */
const unreachable = async (): Promise<never> => {
  throw new Error('a power request reached its route handler');
};

/**
 * The power endpoints as Fastify routes, for every request the direct path does not take (a query
 * string, a body, an odd id). Fastify routes the request and parses its path and query; then the
 * route takes the request over (`reply.hijack()`, before Fastify reads any body) and hands the
 * same facts as the direct path to the same pipeline, whose answer is written through the same
 * conventions. One builder serves both families: they differ only in the data of `PowerFamily`.
 */
export const registerPowerRoutes = (app: FastifyInstance, deps: FastifyPowerDependencies): void => {
  const { pipeline, conventions } = deps;
  for (const family of FAMILIES) {
    for (const action of family.actions) {
      const route = powerRoute(family, action);
      const serve = (request: FastifyRequest, reply: FastifyReply): void => {
        reply.hijack();
        const started = performance.now() - reply.elapsedTime;
        const params = request.params as Readonly<Record<string, string | undefined>>;
        const write = (answer: PowerAnswer): void => {
          const labels = {
            route: route.template,
            method: 'POST',
            status: answer.status,
            family: family.type,
            action,
          };
          conventions.write(
            reply.raw,
            request.id,
            answer,
            labels,
            started,
            request.log,
            () => request,
          );
        };
        const answer = pipeline.run({
          route,
          resourceId: params[family.pathParam] ?? '',
          authorization: request.headers.authorization,
          query: request.query,
          raw: request.raw,
          requestId: request.id,
          clientAddress: () => request.ip,
          log: request.log,
        });
        if (answer instanceof Promise) void answer.then(write);
        else write(answer);
      };
      app.route({
        method: 'POST',
        url: route.template,
        config: { power: route },
        schema: powerRouteSchema(family, action),
        onRequest: (request, reply, done) => {
          serve(request, reply);
          done();
        },
        handler: unreachable,
      });
      refuseOtherMethods(app, route.template, ['POST']);
    }
  }
};
