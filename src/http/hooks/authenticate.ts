import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Principal } from '../../domain/access.js';
import { Errors } from '../../domain/errors.js';
import type { PowerAction, ResourceType } from '../../domain/power.js';
import type { RateLimitDecision, RateLimiter } from '../../ratelimit/rate-limiter.js';
import type { PowerRoute } from '../fastify-types.js';

/** `missing`: no `Authorization` header; `invalid`: anything else that is not a usable key. */
export type AuthenticationFailure = 'missing' | 'invalid';

/** Told about refusals of the guard, e.g. to count them; must be cheap and never throw. */
export interface AccessObserver {
  authenticationFailed(reason: AuthenticationFailure): void;
  rateLimited(family: ResourceType, action: PowerAction): void;
}

const setRateLimitHeaders = (reply: FastifyReply, decision: RateLimitDecision): void => {
  reply.header('ratelimit-limit', decision.limit);
  reply.header('ratelimit-remaining', decision.remaining);
  reply.header('ratelimit-reset', decision.resetSeconds);
  reply.header('ratelimit-policy', `${decision.limit};w=60`);
};

/**
 * Authentication, then the per-key rate limit: the limit consumes quota, so it runs only for a
 * key that is known to be good. Rate-limit headers go on every authenticated response:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy`.
 *
 * A callback hook rather than an async one: with the key cached and the limit in memory, the
 * whole guard runs synchronously, with no promise per request. A synchronous throw is caught by
 * Fastify's hook runner and rendered like any other error.
 */
export const authenticateAndLimit = (
  authenticator: Authenticator,
  limiter: RateLimiter,
  route: PowerRoute,
  observer?: AccessObserver,
) => {
  const limited = (
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    decision: RateLimitDecision,
  ): void => {
    setRateLimitHeaders(reply, decision);
    if (decision.allowed) {
      done();
      return;
    }
    observer?.rateLimited(route.family.type, route.action);
    done(Errors.rateLimited(decision.resetSeconds));
  };

  const authenticated = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    principal: Principal | null,
  ): void => {
    if (principal === null) {
      observer?.authenticationFailed(
        request.headers.authorization === undefined ? 'missing' : 'invalid',
      );
      done(Errors.unauthenticated());
      return;
    }
    request.principal = principal;
    request.power = route;
    const decision = limiter.consume(principal.keyId);
    if (decision instanceof Promise) {
      decision.then((ready) => {
        limited(reply, done, ready);
      }, done);
    } else {
      limited(reply, done, decision);
    }
  };

  return function guard(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const principal = authenticator.authenticate(request.headers.authorization);
    if (principal instanceof Promise) {
      principal.then((ready) => {
        authenticated(request, reply, done, ready);
      }, done);
    } else {
      authenticated(request, reply, done, principal);
    }
  };
};
