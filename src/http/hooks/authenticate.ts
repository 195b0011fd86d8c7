import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { Errors } from '../../domain/errors.js';
import type { PowerAction, ResourceType } from '../../domain/power.js';
import type { RateLimiter } from '../../ratelimit/rate-limiter.js';
import type { PowerRoute } from '../fastify-types.js';

/** `missing`: no `Authorization` header; `invalid`: anything else that is not a usable key. */
export type AuthenticationFailure = 'missing' | 'invalid';

/** Told about refusals of the guard, e.g. to count them; must be cheap and never throw. */
export interface AccessObserver {
  authenticationFailed(reason: AuthenticationFailure): void;
  rateLimited(family: ResourceType, action: PowerAction): void;
}

/**
 * Authentication, then the per-key rate limit: the limit consumes quota, so it runs only for a
 * key that is known to be good. Rate-limit headers go on every authenticated response:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy`.
 */
export const authenticateAndLimit = (
  authenticator: Authenticator,
  limiter: RateLimiter,
  route: PowerRoute,
  observer?: AccessObserver,
) => {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const authorization = request.headers.authorization;
    const principal = await authenticator.authenticate(authorization);
    if (principal === null) {
      observer?.authenticationFailed(authorization === undefined ? 'missing' : 'invalid');
      throw Errors.unauthenticated();
    }
    request.principal = principal;
    const decision = await limiter.consume(principal.keyId);
    reply.headers({
      'ratelimit-limit': decision.limit,
      'ratelimit-remaining': decision.remaining,
      'ratelimit-reset': decision.resetSeconds,
      'ratelimit-policy': `${decision.limit};w=60`,
    });
    if (!decision.allowed) {
      observer?.rateLimited(route.family.type, route.action);
      throw Errors.rateLimited(decision.resetSeconds);
    }
  };
};
