import type { FastifyInstance } from 'fastify';
import type { PowerAction, ResourceType } from '../../domain/power.js';

/** The route label of requests that matched no route: a path is never a label. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Labels of a completed request. `family` and `action` are set on power routes only. */
export interface RequestLabels {
  /** The route template (`/v1/hosting/cloud/vps-custom/:id/start`), or `unmatched`. */
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly family?: ResourceType;
  readonly action?: PowerAction;
}

/** Told about every answered request; must be cheap and never throw. */
export interface RequestObserver {
  requestCompleted(labels: RequestLabels, seconds: number): void;
}

/** Reports every answered request, with bounded labels only, once its answer is sent. */
export const recordRequests = (app: FastifyInstance, observer: RequestObserver): void => {
  app.addHook('onResponse', (request, reply, done) => {
    const { url, config } = request.routeOptions;
    const power = config.power;
    const route = url ?? UNMATCHED_ROUTE;
    const labels: RequestLabels =
      power === undefined
        ? { route, method: request.method, status: reply.statusCode }
        : {
            route,
            method: request.method,
            status: reply.statusCode,
            family: power.family.type,
            action: power.action,
          };
    observer.requestCompleted(labels, reply.elapsedTime / 1000);
    done();
  });
};
