import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken } from '../../domain/api-key.js';
import { adminActor, type AdminTokenService } from '../../services/admin-token-service.js';
import type { Actor, AdminTokenRecord } from '../../store/store.js';
import { AdminErrors } from './admin-errors.js';

const authenticated = new WeakMap<FastifyRequest, AdminTokenRecord>();

/**
 * Every route registered in `app` after this needs an active admin token
 * (`Authorization: Bearer heoadm_…`): missing, malformed, unknown and revoked are the same 401,
 * decided before the body is read.
 */
export const requireAdminToken = (app: FastifyInstance, tokens: AdminTokenService): void => {
  app.addHook('onRequest', async (request) => {
    const presented = bearerToken(request.headers.authorization);
    const token = presented === null ? null : await tokens.authenticate(presented);
    if (token === null) throw AdminErrors.unauthenticated();
    authenticated.set(request, token);
  });
};

/** Who makes the change of this request, for the operator log: its token's id. */
export const actorOf = (request: FastifyRequest): Actor => {
  const token = authenticated.get(request);
  if (token === undefined) throw new Error('admin route reached without an authenticated token');
  return adminActor(token);
};
