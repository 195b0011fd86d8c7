import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AdminError } from '../../domain/admin-error.js';
import { ApiError, Errors, shared } from '../api-errors.js';
import { sendError } from '../error-handler.js';
import { toApiError } from '../error-mapping.js';

/** The admin API's own refusals; everything else is rendered as on the public API. */
export const AdminErrors = {
  unauthenticated: shared(
    () =>
      new ApiError(401, 'unauthorized', 'Missing, invalid, or revoked admin token', {
        'www-authenticate': 'Bearer',
      }),
  ),
} as const;

/**
 * A refusal of the services as the admin API answers it: the same message the CLI prints, with
 * the status its kind calls for. A rule that refuses well-formed input is 422; unknown is 404;
 * already exists, changed meanwhile or still used is 409.
 */
export const fromAdminError = (error: AdminError): ApiError => {
  switch (error.code) {
    case 'not_found':
      return new ApiError(404, 'not_found', error.message);
    case 'conflict':
    case 'cancelled':
      return new ApiError(409, 'conflict', error.message);
    case 'in_use':
      return new ApiError(409, 'in_use', error.message);
    case 'refused':
      return new ApiError(422, 'refused', error.message);
  }
};

export const isAdminError = (value: unknown): value is AdminError => value instanceof AdminError;

/**
 * Every error of the admin app in the one envelope: the services' refusals with their statuses,
 * the rest (bad JSON, unknown routes, body too large, failures) as the public API renders them.
 */
export const registerAdminErrorHandling = (app: FastifyInstance): void => {
  app.setNotFoundHandler(async () => {
    throw Errors.notFound();
  });
  app.setErrorHandler((thrown: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isAdminError(thrown)) {
      void sendError(reply, fromAdminError(thrown));
      return;
    }
    const { error, expected } = toApiError(thrown);
    if (!expected) request.log.error({ err: thrown }, 'admin request failed');
    void sendError(reply, error);
  });
};
