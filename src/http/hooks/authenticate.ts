import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { Errors } from '../../domain/errors.js';
import type { RateLimiter } from '../../ratelimit/rate-limiter.js';

/**
 * Authentication, then the per-key rate limit: the limit consumes quota, so it runs only for a
 * key that is known to be good. Rate-limit headers go on every authenticated response:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy`.
 */
export const authenticateAndLimit = (authenticator: Authenticator, limiter: RateLimiter) => {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const principal = await authenticator.authenticate(request.headers.authorization);
    if (principal === null) throw Errors.unauthenticated();
    request.principal = principal;
    const decision = await limiter.consume(principal.keyId);
    reply.headers({
      'ratelimit-limit': decision.limit,
      'ratelimit-remaining': decision.remaining,
      'ratelimit-reset': decision.resetSeconds,
      'ratelimit-policy': `${decision.limit};w=60`,
    });
    if (!decision.allowed) throw Errors.rateLimited(decision.resetSeconds);
  };
};
