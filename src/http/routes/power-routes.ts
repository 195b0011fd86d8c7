import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditWriter } from '../../audit/audit-writer.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { Errors } from '../../domain/errors.js';
import {
  FAMILIES,
  isConfirmed,
  type PowerAction,
  type PowerFamily,
  successBody,
} from '../../domain/power.js';
import type { RateLimiter } from '../../ratelimit/rate-limiter.js';
import { emptyTrace, type PowerService } from '../../services/power-service.js';
import { auditEntryOf } from '../audit-entry.js';
import { authenticateAndLimit } from '../hooks/authenticate.js';
import { refuseOtherMethods } from './method-not-allowed.js';

export interface PowerRouteDependencies {
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
  readonly power: PowerService;
  readonly audit: AuditWriter;
}

export const powerPath = (family: PowerFamily, action: PowerAction): string =>
  `${family.basePath}/:${family.pathParam}/${action}`;

const successSchema = (family: PowerFamily) => ({
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    action: { type: 'string' },
    [family.idField]: { type: 'string' },
    status: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['success', 'action', family.idField, 'status', 'message'],
});

/** One builder for both endpoint families: they differ only in the data of `PowerFamily`. */
export const registerPowerRoutes = (app: FastifyInstance, deps: PowerRouteDependencies): void => {
  const guard = authenticateAndLimit(deps.authenticator, deps.limiter);
  for (const family of FAMILIES) {
    const response = { 200: successSchema(family) };
    for (const action of family.actions) {
      const url = powerPath(family, action);
      app.route({
        method: 'POST',
        url,
        config: { power: { family, action } },
        schema: { response },
        onRequest: guard,
        handler: async (request: FastifyRequest, _reply: FastifyReply) => {
          const principal = request.principal;
          if (principal === null) throw Errors.internal();
          const resourceId =
            (request.params as Readonly<Record<string, string>>)[family.pathParam] ?? '';
          const trace = emptyTrace();
          request.trace = trace;
          await deps.power.execute(
            {
              principal,
              family,
              action,
              resourceId,
              confirmed: isConfirmed(request.query, request.body),
              requestId: request.id,
              logger: request.log,
            },
            trace,
          );
          const entry = auditEntryOf(request, 200, null);
          if (entry !== null) await deps.audit.record(entry);
          return successBody(family, action, resourceId);
        },
      });
      refuseOtherMethods(app, url, ['POST']);
    }
  }
};
