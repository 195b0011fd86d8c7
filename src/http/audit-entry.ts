import type { FastifyRequest } from 'fastify';
import { MAX_ID_LENGTH } from '../domain/ids.js';
import type { AuditEntry } from '../store/store.js';

/**
 * The audit record of a power request, or `null` when the request is not one to record (not a
 * power route, or not authenticated). Ids longer than any real id are cut to that length.
 */
export const auditEntryOf = (
  request: FastifyRequest,
  status: number,
  error: string | null,
): AuditEntry | null => {
  const { power, principal } = request;
  if (power === null || principal === null) return null;
  const params = request.params as Readonly<Record<string, string | undefined>>;
  const trace = request.trace;
  return {
    at: Date.now(),
    requestId: request.id,
    keyId: principal.keyId,
    customerId: principal.customerId,
    resourceType: power.family.type,
    resourceId: (params[power.family.pathParam] ?? '').slice(0, MAX_ID_LENGTH),
    action: power.action,
    status,
    error,
    clientIp: request.ip,
    provider: trace?.provider ?? null,
    upstreamStatus: trace?.upstreamStatus ?? null,
    upstreamDetail: trace?.upstreamDetail ?? null,
    taskRef: trace?.taskRef ?? null,
  };
};
