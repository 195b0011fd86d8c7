import type { AuditWriter } from '../audit/audit-writer.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../domain/access.js';
import { type ApiError, Errors } from '../domain/errors.js';
import { MAX_ID_LENGTH } from '../domain/ids.js';
import type { PowerAction, PowerFamily, ResourceType } from '../domain/power.js';
import { andThen, type MaybePromise } from '../lib/maybe-async.js';
import type { Log } from '../logger.js';
import type { RateLimitDecision, RateLimiter } from '../ratelimit/rate-limiter.js';
import type { PowerService, ProviderTrace } from '../services/power-service.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { AuditEntry } from '../store/store.js';
import { toApiError } from './error-mapping.js';

/**
 * The steps of a power request that do not depend on how it arrived: the guard, the audit record
 * and the handling of refusals. The Fastify route and the direct path (`power-lane.ts`) both run
 * them, so the two answer alike by construction.
 */

/** The power endpoint a request is for. */
export interface PowerRoute {
  readonly family: PowerFamily;
  readonly action: PowerAction;
}

/** `missing`: no `Authorization` header; `invalid`: anything else that is not a usable key. */
export type AuthenticationFailure = 'missing' | 'invalid';

/** Told about refusals of the guard, e.g. to count them; must be cheap and never throw. */
export interface AccessObserver {
  authenticationFailed(reason: AuthenticationFailure): void;
  rateLimited(family: ResourceType, action: PowerAction): void;
}

/** What the guard decided about a request. */
export interface Admission {
  /** The key's principal, or `null` when the key was not accepted. */
  readonly principal: Principal | null;
  /** The rate-limit decision, once the key was counted; its headers go on the reply. */
  readonly limit: RateLimitDecision | null;
  /** Why the request is refused, or `null` when it may go on. */
  readonly refusal: ApiError | null;
}

/** The four `RateLimit-*` headers of a decision, as name, value, name, value... */
export const rateLimitHeaders = (decision: RateLimitDecision): string[] => [
  'ratelimit-limit',
  String(decision.limit),
  'ratelimit-remaining',
  String(decision.remaining),
  'ratelimit-reset',
  String(decision.resetSeconds),
  'ratelimit-policy',
  `${decision.limit};w=60`,
];

/**
 * Authentication, then the per-key rate limit: the limit consumes quota, so it runs only for a key
 * that is known to be good. Synchronous when the key is cached and the limit is in memory.
 */
export class Gate {
  readonly #authenticator: Authenticator;
  readonly #limiter: RateLimiter;
  readonly #observer: AccessObserver | undefined;

  constructor(authenticator: Authenticator, limiter: RateLimiter, observer?: AccessObserver) {
    this.#authenticator = authenticator;
    this.#limiter = limiter;
    this.#observer = observer;
  }

  admit(authorization: string | undefined, route: PowerRoute): MaybePromise<Admission> {
    return andThen(this.#authenticator.authenticate(authorization), (principal) => {
      if (principal === null) {
        this.#observer?.authenticationFailed(authorization === undefined ? 'missing' : 'invalid');
        return { principal, limit: null, refusal: Errors.unauthenticated() };
      }
      return andThen(this.#limiter.consume(principal.keyId), (limit) => {
        if (limit.allowed) return { principal, limit, refusal: null };
        this.#observer?.rateLimited(route.family.type, route.action);
        return { principal, limit, refusal: Errors.rateLimited(limit.resetSeconds) };
      });
    });
  }
}

/** What the audit record of an authenticated power request is made of. */
export interface AuditSubject {
  readonly requestId: string;
  readonly route: PowerRoute;
  readonly principal: Principal;
  readonly resourceId: string;
  readonly clientIp: string | undefined;
  /** What the provider said, once it was asked. */
  readonly trace: ProviderTrace | null;
}

/** The audit record of a power request. Ids longer than any real id are cut to that length. */
export const auditEntryFor = (
  subject: AuditSubject,
  status: number,
  error: string | null,
): AuditEntry => {
  const { principal, route, trace } = subject;
  return {
    at: Date.now(),
    requestId: subject.requestId,
    keyId: principal.keyId,
    customerId: principal.customerId,
    resourceType: route.family.type,
    resourceId: subject.resourceId.slice(0, MAX_ID_LENGTH),
    action: route.action,
    status,
    error,
    clientIp: subject.clientIp ?? null,
    provider: trace?.provider ?? null,
    upstreamStatus: trace?.upstreamStatus ?? null,
    upstreamDetail: trace?.upstreamDetail ?? null,
    taskRef: trace?.taskRef ?? null,
  };
};

/**
 * The provider call of an admitted request and, when the provider accepts, the audit record of
 * its 200: `null` once that record is committed, or the refusal to answer with (which
 * `settleRefusal` records). The provider fills in `subject.trace` as it answers.
 */
export const carryOut = (
  power: PowerService,
  audit: AuditWriter,
  subject: AuditSubject & { readonly trace: ProviderTrace },
  confirmed: boolean,
  log: Log,
): MaybePromise<ApiError | null> => {
  const { principal, route, resourceId, requestId, trace } = subject;
  const command = {
    principal,
    family: route.family,
    action: route.action,
    resourceId,
    confirmed,
    requestId,
    logger: log,
  };
  return andThen(power.execute(command, trace), (refusal) =>
    refusal === null ? audit.record(auditEntryFor(subject, 200, null)).then(() => null) : refusal,
  );
};

/**
 * What a failed request answers, after what must happen first: an unexpected error is logged, and
 * a refused power request (`subject` set) is recorded in the audit log before its reply. Never
 * rejects: a failed audit write is logged and the refusal is answered anyway.
 */
export const settleRefusal = (
  thrown: unknown,
  subject: AuditSubject | null,
  log: Log,
  audit: AuditWriter,
): MaybePromise<ApiError> => {
  const { error, expected } = toApiError(thrown);
  // Unauthenticated refusals (the brute-force path) answer at once, without a promise.
  if (subject === null) {
    if (!expected) log.error({ err: thrown }, 'request failed');
    return error;
  }
  const entry = auditEntryFor(subject, error.statusCode, error.code);
  if (thrown instanceof StoreUnavailableError) {
    // The store just failed this very request: trying to record the refusal there would only
    // hold the 503 for another time-out. The log line is the record instead, with what the
    // provider was asked to do if the request got that far (a cached key and machine).
    log.error(
      { err: thrown, audit: entry },
      'store unavailable: answered 503 without an audit record',
    );
    return error;
  }
  if (!expected) log.error({ err: thrown }, 'request failed');
  return audit.record(entry).then(
    () => error,
    (auditError: unknown) => {
      log.error({ err: auditError }, 'could not record a refused request in the audit log');
      return error;
    },
  );
};
