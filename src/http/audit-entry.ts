import type { FastifyRequest } from 'fastify';
import type { AuditSubject } from './power-exchange.js';

/**
 * What the audit record of a request is made of, or `null` when the request is not one to record
 * (not a power route, or not authenticated).
 */
export const auditSubjectOf = (request: FastifyRequest): AuditSubject | null => {
  const { power, principal } = request;
  if (power === null || principal === null) return null;
  const params = request.params as Readonly<Record<string, string | undefined>>;
  return {
    requestId: request.id,
    route: power,
    principal,
    resourceId: params[power.family.pathParam] ?? '',
    clientIp: request.ip,
    trace: request.trace,
  };
};
