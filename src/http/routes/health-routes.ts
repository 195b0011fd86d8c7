import type { FastifyInstance } from 'fastify';
import { Errors } from '../api-errors.js';
import { livenessSchema, readinessSchema } from '../schemas/health-schema.js';
import { refuseOtherMethods } from '../method-not-allowed.js';

export interface HealthDependencies {
  /** Resolves when the store answers; rejects otherwise. */
  readonly checkStore: () => Promise<void>;
  readonly isDraining: () => boolean;
}

/** `/healthz`: the process is alive. `/readyz`: it can serve (store reachable, not draining). */
export const registerHealthRoutes = (app: FastifyInstance, deps: HealthDependencies): void => {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/healthz',
    schema: livenessSchema,
    handler: async () => ({ status: 'ok' }),
  });
  refuseOtherMethods(app, '/healthz', ['GET', 'HEAD']);

  app.route({
    method: ['GET', 'HEAD'],
    url: '/readyz',
    schema: readinessSchema,
    handler: async (request) => {
      if (deps.isDraining()) throw Errors.serviceUnavailable();
      try {
        await deps.checkStore();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed: store unreachable');
        throw Errors.serviceUnavailable();
      }
      return { status: 'ready' };
    },
  });
  refuseOtherMethods(app, '/readyz', ['GET', 'HEAD']);
};
