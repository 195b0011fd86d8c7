import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditWriter } from '../../audit/audit-writer.js';
import { Errors } from '../../domain/errors.js';
import {
  FAMILIES,
  isConfirmed,
  type PowerAction,
  type PowerFamily,
  successJson,
} from '../../domain/power.js';
import { emptyTrace, type PowerService } from '../../services/power-service.js';
import { auditSubjectOf } from '../audit-entry.js';
import { authenticateAndLimit } from '../hooks/authenticate.js';
import { carryOut, type Gate } from '../power-exchange.js';
import { powerRouteSchema } from '../schemas/power-schema.js';
import { refuseOtherMethods } from './method-not-allowed.js';

export interface PowerRouteDependencies {
  readonly gate: Gate;
  readonly power: PowerService;
  readonly audit: AuditWriter;
}

export const powerPath = (family: PowerFamily, action: PowerAction): string =>
  `${family.basePath}/:${family.pathParam}/${action}`;

/** One builder for both endpoint families: they differ only in the data of `PowerFamily`. */
export const registerPowerRoutes = (app: FastifyInstance, deps: PowerRouteDependencies): void => {
  for (const family of FAMILIES) {
    for (const action of family.actions) {
      const url = powerPath(family, action);
      const route = { family, action };
      const body = successJson(family, action);
      app.route({
        method: 'POST',
        url,
        config: { power: route },
        schema: powerRouteSchema(family, action),
        onRequest: authenticateAndLimit(deps.gate, route),
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const trace = emptyTrace();
          request.trace = trace;
          const subject = auditSubjectOf(request);
          if (subject === null) throw Errors.internal();
          const refusal = await carryOut(
            deps.power,
            deps.audit,
            { ...subject, trace },
            isConfirmed(request.query, request.body),
            request.log,
          );
          // A refusal takes the path of every error: the error handler records and renders it.
          if (refusal !== null) return reply.send(refusal);
          return reply.type('application/json; charset=utf-8').send(body(subject.resourceId));
        },
      });
      refuseOtherMethods(app, url, ['POST']);
    }
  }
};
