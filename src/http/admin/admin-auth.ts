import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FailureBudget } from '../../auth/failure-budget.js';
import { bearerToken } from '../../domain/api-key.js';
import { adminActor, type AdminTokenService } from '../../services/admin-token-service.js';
import type { Actor, AdminTokenRecord } from '../../store/store.js';
import { Errors } from '../api-errors.js';
import { AdminErrors } from './admin-errors.js';

const authenticated = new WeakMap<FastifyRequest, AdminTokenRecord>();

/**
 * Every route registered in `app` after this needs an active admin token
 * (`Authorization: Bearer heoadm_…`): missing, malformed, unknown and revoked are the same 401,
 * decided before the body is read. Each 401 counts against the client address's budget of
 * `failures` (the public API's `FailureBudget`, with a count of its own); an address that used it
 * up gets 429 with `Retry-After`, before its token is looked at, until its window passes.
 */
export const requireAdminToken = (
  app: FastifyInstance,
  tokens: AdminTokenService,
  failures: FailureBudget | null,
): void => {
  app.addHook('onRequest', async (request) => {
    if (failures?.active === true) {
      const seconds = failures.refusalSeconds(request.ip);
      if (seconds > 0) throw Errors.rateLimited(seconds);
    }
    const presented = bearerToken(request.headers.authorization);
    const token = presented === null ? null : await tokens.authenticate(presented);
    if (token === null) {
      // Counted before the answer, so that the refusal of the next failure is in place.
      await failures?.failed(request.ip);
      throw AdminErrors.unauthenticated();
    }
    authenticated.set(request, token);
  });
};

/** Who makes the change of this request, for the operator log: its token's id. */
export const actorOf = (request: FastifyRequest): Actor => {
  const token = authenticated.get(request);
  if (token === undefined) throw new Error('admin route reached without an authenticated token');
  return adminActor(token);
};
