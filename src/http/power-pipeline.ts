import type { IncomingMessage } from 'node:http';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { FailureBudget } from '../auth/failure-budget.js';
import { canAccess, type Principal, scopeAllows } from '../domain/access.js';
import { readIdempotencyKey } from '../domain/idempotency-key.js';
import { isValidId, newActionId } from '../domain/ids.js';
import {
  isConfirmed,
  type PowerAction,
  type PowerFamily,
  type ResourceType,
} from '../domain/power.js';
import { type Refusal, Refusals } from '../domain/refusal.js';
import type { MaybePromise } from '../lib/maybe-async.js';
import type { Log } from '../logger.js';
import type { AccessObserver } from '../metrics/observers.js';
import type { RateLimitDecision, RateLimiter } from '../ratelimit/rate-limiter.js';
import type { AccessCache } from '../services/access-cache.js';
import { type ActionSender, emptyTrace, type ProviderTrace } from '../services/action-sender.js';
import { type IdempotencyGuard, requestFingerprint } from '../services/idempotency-guard.js';
import { StoreUnavailableError } from '../store/errors.js';
import type { AuditEntry, IdempotentReply, ResourceRecord } from '../store/store.js';
import { type ApiError, Errors } from './api-errors.js';
import { auditEntryOf } from './audit-entry.js';
import { BODY_LIMIT_BYTES } from './body-parsers.js';
import type { Answer } from './conventions.js';
import { refusalError, successJson } from './power-answers.js';
import { readBody } from './request-body.js';

/** A power endpoint: one action of one family, and its route template (the metrics label). */
export interface PowerRoute {
  readonly family: PowerFamily;
  readonly action: PowerAction;
  /** `/v1/hosting/cloud/vps-custom/:id/start`, as the router names it. */
  readonly template: string;
  /** The success body for an id. */
  readonly success: (id: string) => string;
}

export const powerTemplate = (family: PowerFamily, action: PowerAction): string =>
  `${family.basePath}/:${family.pathParam}/${action}`;

export const powerRoute = (family: PowerFamily, action: PowerAction): PowerRoute => ({
  family,
  action,
  template: powerTemplate(family, action),
  success: successJson(family, action),
});

/** What every request of a customer's key brings, whatever the route. */
export interface KeyRequestFacts {
  readonly authorization: string | undefined;
  readonly requestId: string;
  /** Worked out only when something needs it: an audit row or a log line. */
  readonly clientAddress: () => string | undefined;
  readonly log: Log;
}

/** What a transport knows about a power request when it hands it over. */
export interface PowerRequest extends KeyRequestFacts {
  readonly route: PowerRoute;
  /** The id as the path gave it (percent-decoded), well-formed or not. */
  readonly resourceId: string;
  readonly authorization: string | undefined;
  /** The parsed query string (`force=true` confirms), or `null` when there is none. */
  readonly query: unknown;
  /** The request itself, whose body is read in the body step. */
  readonly raw: IncomingMessage;
  readonly requestId: string;
  /** Worked out only when something needs it: an audit row or a log line. */
  readonly clientAddress: () => string | undefined;
  readonly log: Log;
}

/** How a power request ended: its answer, and the audit record it wrote or could not write. */
export interface PowerAnswer extends Answer {
  /** `null` for requests that are not recorded (401). */
  readonly audit: AuditEntry | null;
  /** Whether `audit` was committed. */
  readonly audited: boolean;
}

/** A read route: what it reads, of which family, and its template (the metrics label). */
export interface ReadRoute {
  readonly family: PowerFamily;
  readonly template: string;
  /** Whether the route is about one machine (its id in the path) or the key's machines. */
  readonly machine: boolean;
}

/** What a read route answers once the rules let its request through. */
export type ReadOutcome =
  { readonly body: string; readonly headers?: readonly string[] } | { readonly refusal: Refusal };

/** What a transport knows about a read request when it hands it over. */
export interface ReadRequest extends KeyRequestFacts {
  readonly route: ReadRoute;
  /** The machine's id as the path gave it; `''` for a route that is not about one machine. */
  readonly resourceId: string;
  /** Reads what the route answers, for a key allowed to and its machine (machine routes). */
  readonly respond: (
    principal: Principal,
    resource: ResourceRecord | undefined,
  ) => Promise<ReadOutcome>;
}

/** One request on its way through the steps: what each step learnt. */
interface Passage<R extends KeyRequestFacts = PowerRequest> {
  readonly request: R;
  principal: Principal | null;
  limit: RateLimitDecision | null;
  /** Seconds until a refused address may try again. */
  addressRefusedFor: number;
  confirmed: boolean;
  resource: ResourceRecord | undefined;
  /** What the provider said, once it was asked. */
  trace: ProviderTrace | null;
  /** The body as parsed (`undefined`: none). */
  body: unknown;
  /** The request's `Idempotency-Key`; `null` without the header. */
  idempotencyKey: string | null;
  /** What is wrong with a malformed `Idempotency-Key`, for its 400. */
  idempotencyProblem: string | null;
  /** Whether this request claimed its key: its outcome is stored with its audit entry. */
  claimed: boolean;
  /** The first request's reply, when this request is a retry of it. */
  replay: { readonly reply: IdempotentReply; readonly firstRequestId: string } | null;
}

/** A step refuses (a value), lets the request go on (`null`), or throws for a fault. */
type Step<R extends KeyRequestFacts = PowerRequest> = (
  passage: Passage<R>,
) => MaybePromise<Refusal | null>;

export interface PowerPipelineDependencies {
  readonly caches: AccessCache;
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
  /** Counts reads per key apart from power actions; without it reads share `limiter`. */
  readonly readLimiter?: RateLimiter | undefined;
  readonly sender: ActionSender;
  readonly audit: AuditWriter;
  /** Claims and answers `Idempotency-Key`s through the shared store. */
  readonly idempotency: IdempotencyGuard;
  /** Failed authentications per client address; `undefined` turns the budget off. */
  readonly failures?: FailureBudget | undefined;
  readonly observer?: AccessObserver | undefined;
}

const JSON_TYPE = 'application/json; charset=utf-8';

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
 * The rules of a power request, in the order they apply, for every transport: the first step
 * that refuses answers. Each step is synchronous when what it needs is at hand (a cached key and
 * machine, the in-memory limit) and returns a promise only when it waits.
 *
 * 1. the caches take in any configuration change (a revoked key, a moved machine);
 * 2. the client address's budget of failed authentications, once used up → 429, before any
 *    key is looked at;
 * 2. authentication: the Bearer key → 401 (a failure counts against the address's budget);
 * 2. the key's allowlist of client addresses → the same 401, recorded as `ip_not_allowed`;
 * 3. the key's rate limit (it consumes quota, so only for a good key) → 429;
 * 3. a malformed `Idempotency-Key` header → 400;
 * 4. the body, read only now (malformed 400, too large 413, not JSON 415);
 * 5. resource access: unknown and foreign ids alike → 403;
 * 6. the key's scope → 403 `insufficient_scope`;
 * 7. confirmation of a destructive action → 400;
 * 7. the `Idempotency-Key`, claimed in the store (only with the header): in use → 409, used for
 *    another request → 422, the first request's outcome → replayed without the provider;
 * 8. the provider → 502;
 * 9. the audit record, committed before the answer (every refusal after 2 too) → 200.
 */
export class PowerPipeline {
  readonly #caches: AccessCache;
  readonly #authenticator: Authenticator;
  readonly #limiter: RateLimiter;
  readonly #sender: ActionSender;
  readonly #audit: AuditWriter;
  readonly #idempotency: IdempotencyGuard;
  readonly #failures: FailureBudget | undefined;
  readonly #observer: AccessObserver | undefined;
  readonly #steps: readonly Step[];
  readonly #readLimiter: RateLimiter;
  readonly #readSteps: readonly Step<ReadRequest>[];

  constructor(deps: PowerPipelineDependencies) {
    this.#caches = deps.caches;
    this.#authenticator = deps.authenticator;
    this.#limiter = deps.limiter;
    this.#sender = deps.sender;
    this.#audit = deps.audit;
    this.#idempotency = deps.idempotency;
    this.#failures = deps.failures;
    this.#observer = deps.observer;
    this.#readLimiter = deps.readLimiter ?? deps.limiter;
    this.#readSteps = [
      this.#checkAddress,
      this.#authenticate,
      this.#checkAllowlist,
      this.#limitReads,
      this.#checkReadAccess,
    ];
    this.#steps = [
      this.#checkAddress,
      this.#authenticate,
      this.#checkAllowlist,
      this.#limitRate,
      this.#readIdempotencyKey,
      this.#readBody,
      this.#checkAccess,
      this.#checkScope,
      this.#checkConfirmation,
      this.#claimKey,
      this.#callProvider,
    ];
  }

  /** Never rejects: every outcome, faults included, is an answer. */
  run(request: PowerRequest): MaybePromise<PowerAnswer> {
    const passage: Passage = {
      request,
      principal: null,
      limit: null,
      addressRefusedFor: 0,
      confirmed: false,
      resource: undefined,
      trace: null,
      body: undefined,
      idempotencyKey: null,
      idempotencyProblem: null,
      claimed: false,
      replay: null,
    };
    try {
      this.#caches.refresh();
      const outcome = this.#from(passage, 0, this.#steps);
      if (outcome instanceof Promise) {
        return outcome.then(
          (refusal) => this.#settle(passage, refusal),
          (thrown: unknown) => this.#failed(passage, thrown),
        );
      }
      return this.#settle(passage, outcome);
    } catch (error) {
      return this.#failed(passage, error);
    }
  }

  /**
   * A read of a `read` or `power` key (actions, state, the key's machines), by the same rules up
   * to access: the address's budget, authentication, the allowlist, the key's own limit of reads
   * (apart from its power actions), and, for a machine's routes, the same 403 for unknown and
   * foreign ids. Reads write no audit record. Never rejects.
   */
  async read(request: ReadRequest): Promise<PowerAnswer> {
    const passage: Passage<ReadRequest> = {
      request,
      principal: null,
      limit: null,
      addressRefusedFor: 0,
      confirmed: false,
      resource: undefined,
      trace: null,
      body: undefined,
      idempotencyKey: null,
      idempotencyProblem: null,
      claimed: false,
      replay: null,
    };
    const { family } = request.route;
    const refused = (refusal: Refusal): PowerAnswer =>
      this.#error(
        passage,
        refusalError(refusal, family, null, this.#retryAfter(passage, refusal)),
        null,
        false,
      );
    try {
      this.#caches.refresh();
      const refusal = await this.#from(passage, 0, this.#readSteps);
      if (refusal !== null) return refused(refusal);
      const outcome = await request.respond(passage.principal as Principal, passage.resource);
      if ('refusal' in outcome) return refused(outcome.refusal);
      return this.#answer(passage, 200, [...(outcome.headers ?? [])], outcome.body, null, false);
    } catch (error) {
      const unavailable = error instanceof StoreUnavailableError;
      request.log.error({ err: error }, 'request failed');
      return refused(unavailable ? Refusals.store_unavailable : Refusals.internal);
    }
  }

  readonly #limitReads: Step<ReadRequest> = (passage) =>
    this.#count(passage, this.#readLimiter, null);

  readonly #checkReadAccess: Step<ReadRequest> = (passage) => {
    const { route, resourceId } = passage.request;
    return route.machine ? this.#admitMachine(passage, route.family.type, resourceId) : null;
  };

  /** The machine, if the key may reach it; unknown and foreign ids alike → 403. */
  #admitMachine(
    passage: Passage<KeyRequestFacts>,
    type: ResourceType,
    resourceId: string,
  ): MaybePromise<Refusal | null> {
    if (!isValidId(resourceId)) return Refusals.resource_denied;
    const found = this.#caches.resource(type, resourceId);
    const checked = (resource: ResourceRecord | undefined): Refusal | null => {
      if (resource === undefined || !canAccess(passage.principal as Principal, resource)) {
        return Refusals.resource_denied;
      }
      passage.resource = resource;
      return null;
    };
    return found instanceof Promise ? found.then(checked) : checked(found);
  }

  /** Runs the steps from `index` on, synchronously until one of them waits. */
  #from<R extends KeyRequestFacts>(
    passage: Passage<R>,
    index: number,
    steps: readonly Step<R>[],
  ): MaybePromise<Refusal | null> {
    for (let i = index; i < steps.length; i += 1) {
      const step = steps[i] as Step<R>;
      const outcome = step(passage);
      if (outcome instanceof Promise) {
        return outcome.then((refusal) => refusal ?? this.#from(passage, i + 1, steps));
      }
      if (outcome !== null) return outcome;
    }
    return null;
  }

  readonly #checkAddress: Step<KeyRequestFacts> = (passage) => {
    // Free while no address is refused: the client address is not even worked out.
    if (this.#failures === undefined || !this.#failures.active) return null;
    const seconds = this.#failures.refusalSeconds(passage.request.clientAddress());
    if (seconds === 0) return null;
    passage.addressRefusedFor = seconds;
    this.#observer?.addressRefused();
    return Refusals.address_refused;
  };

  readonly #authenticate: Step<KeyRequestFacts> = (passage) => {
    const { authorization } = passage.request;
    const principal = this.#authenticator.authenticate(authorization);
    const admitted = (found: Principal | null): MaybePromise<Refusal | null> => {
      if (found !== null) {
        passage.principal = found;
        return null;
      }
      this.#observer?.authenticationFailed(authorization === undefined ? 'missing' : 'invalid');
      return this.#failedFrom(passage.request.clientAddress(), Refusals.unauthenticated);
    };
    return principal instanceof Promise ? principal.then(admitted) : admitted(principal);
  };

  readonly #checkAllowlist: Step<KeyRequestFacts> = (passage) => {
    const principal = passage.principal as Principal;
    const allows = principal.allowsAddress;
    if (allows === null || allows(passage.request.clientAddress())) {
      this.#authenticator.used(principal);
      return null;
    }
    const address = passage.request.clientAddress();
    this.#observer?.authenticationFailed('ip_not_allowed');
    return this.#failedFrom(address, Refusals.ip_not_allowed);
  };

  /** A failed authentication, refused once it is counted against its address's budget. */
  #failedFrom(address: string | undefined, refusal: Refusal): MaybePromise<Refusal> {
    const counted = this.#failures?.failed(address);
    return counted instanceof Promise ? counted.then(() => refusal) : refusal;
  }

  readonly #limitRate: Step = (passage) => this.#count(passage, this.#limiter, this.#limited);

  readonly #limited = (passage: Passage): void => {
    const { family, action } = passage.request.route;
    this.#observer?.rateLimited(family.type, action);
  };

  /** Counts the request against the key's window of `limiter`; over it → 429. */
  #count<R extends KeyRequestFacts>(
    passage: Passage<R>,
    limiter: RateLimiter,
    onRefused: ((passage: Passage<R>) => void) | null,
  ): MaybePromise<Refusal | null> {
    const decision = limiter.consume((passage.principal as Principal).keyId);
    const counted = (limit: RateLimitDecision): Refusal | null => {
      passage.limit = limit;
      if (limit.allowed) return null;
      onRefused?.(passage);
      return Refusals.rate_limited;
    };
    return decision instanceof Promise ? decision.then(counted) : counted(decision);
  }

  /** What a 429 tells the client to wait: the address's refusal, or the key's window. */
  #retryAfter(passage: Passage<KeyRequestFacts>, refusal: Refusal): number {
    return refusal === Refusals.address_refused
      ? passage.addressRefusedFor
      : (passage.limit?.resetSeconds ?? 0);
  }

  readonly #readBody: Step = (passage) => {
    const { raw, query } = passage.request;
    const reading = readBody(raw, BODY_LIMIT_BYTES);
    const read = (body: Awaited<typeof reading>): Refusal | null => {
      if (body.refusal !== null) return body.refusal;
      passage.body = body.value;
      passage.confirmed = isConfirmed(query, body.value);
      return null;
    };
    return reading instanceof Promise ? reading.then(read) : read(reading);
  };

  readonly #checkAccess: Step = (passage) => {
    const { route, resourceId } = passage.request;
    return this.#admitMachine(passage, route.family.type, resourceId);
  };

  readonly #checkScope: Step = (passage) =>
    scopeAllows((passage.principal as Principal).scope, passage.request.route.action)
      ? null
      : Refusals.insufficient_scope;

  readonly #checkConfirmation: Step = (passage) => {
    const { family, action } = passage.request.route;
    return family.confirm.has(action) && !passage.confirmed ? Refusals.confirmation_required : null;
  };

  /** Free without the header: one property read, no store round trip. */
  readonly #readIdempotencyKey: Step = (passage) => {
    const header = passage.request.raw.headers['idempotency-key'];
    if (header === undefined) return null;
    const reading = readIdempotencyKey(header);
    if (reading.problem !== null) {
      passage.idempotencyProblem = reading.problem;
      return Refusals.idempotency_key_malformed;
    }
    passage.idempotencyKey = reading.key;
    return null;
  };

  /**
   * The key is claimed only once every rule let the request through, so that a refusal (400,
   * 403, 429...) is not remembered and a corrected retry with the same key goes ahead.
   */
  readonly #claimKey: Step = (passage) => {
    const key = passage.idempotencyKey;
    if (key === null) return null;
    const { route, resourceId, requestId } = passage.request;
    const path = `${route.family.basePath}/${resourceId}/${route.action}`;
    const fingerprint = requestFingerprint(path, passage.confirmed, passage.body);
    const keyId = (passage.principal as Principal).keyId;
    return this.#idempotency.decide(keyId, key, fingerprint, requestId).then((decision) => {
      switch (decision.kind) {
        case 'claimed':
          passage.claimed = true;
          return null;
        case 'replay':
          passage.replay = decision;
          return null;
        case 'in_progress':
          return Refusals.idempotency_key_in_use;
        case 'reused':
          return Refusals.idempotency_key_reused;
        case 'outcome_unknown':
          return Refusals.idempotency_outcome_unknown;
      }
    });
  };

  readonly #callProvider: Step = async (passage) => {
    // A retry is answered from the first request's outcome: the back-end is not asked again.
    if (passage.replay !== null) return null;
    const { request } = passage;
    const trace = emptyTrace();
    passage.trace = trace;
    const accepted = await this.#sender.send(
      passage.resource as ResourceRecord,
      request.route.action,
      { requestId: request.requestId, logger: request.log },
      trace,
    );
    return accepted ? null : Refusals.provider_failed;
  };

  /** The answer to a request the steps let through (`null`) or refused. */
  #settle(passage: Passage, refusal: Refusal | null): MaybePromise<PowerAnswer> {
    if (refusal !== null) return this.#refused(passage, refusal);
    if (passage.replay !== null) return this.#replayed(passage, passage.replay);
    const { route, resourceId } = passage.request;
    const actionId = newActionId();
    // The published body stays as it is; the handle to follow the action is in `Location`.
    const location = `${route.family.basePath}/${resourceId}/actions/${actionId}`;
    const body = route.success(resourceId);
    const accepted = this.#entry(passage, 200, null, actionId, { body, location });
    // Customers without a webhook endpoint cost the batch nothing more.
    const entry = this.#caches.mayHaveWebhooks(accepted.customerId)
      ? { ...accepted, webhooks: true }
      : accepted;
    return this.#audit.record(entry).then(
      () => this.#answer(passage, 200, ['location', location], body, entry, true),
      (thrown: unknown) => this.#failed(passage, thrown),
    );
  }

  /**
   * A retry with the key of a request that ended: the first request's status, body and
   * `Location`, marked as a replay, in the audit log too (`replay_of`). A failed audit write is
   * logged and the replay answered anyway: it changed nothing.
   */
  #replayed(
    passage: Passage,
    replay: { readonly reply: IdempotentReply; readonly firstRequestId: string },
  ): Promise<PowerAnswer> {
    const { reply, firstRequestId } = replay;
    const entry = this.#entry(passage, reply.status, reply.error, undefined, null, firstRequestId);
    const headers = ['idempotent-replayed', 'true'];
    if (reply.location !== null) headers.push('location', reply.location);
    return this.#audit.record(entry).then(
      () => this.#answer(passage, reply.status, headers, reply.body, entry, true),
      (auditError: unknown) => {
        passage.request.log.error(
          { err: auditError, audit: entry },
          'could not record a replayed request in the audit log',
        );
        return this.#answer(passage, reply.status, headers, reply.body, entry, false);
      },
    );
  }

  /**
   * A refusal's answer, after its audit record when the key was good. A failed audit write is
   * logged with the whole record, and the refusal is answered anyway.
   */
  #refused(passage: Passage, refusal: Refusal): MaybePromise<PowerAnswer> {
    const error = this.#errorOf(passage, refusal);
    // Unauthenticated refusals (the brute-force path) answer at once, without a promise.
    if (passage.principal === null) return this.#error(passage, error, null, false);
    // The reply says only "invalid key"; the operator's record says why.
    const recorded = refusal === Refusals.ip_not_allowed ? 'ip_not_allowed' : error.code;
    // Once the back-end was called, the outcome is the key's to replay (a 502, a 500).
    const reply = passage.trace === null ? null : { body: error.json, location: null };
    const entry = this.#entry(passage, error.statusCode, recorded, undefined, reply);
    if (refusal === Refusals.store_unavailable) {
      // The store just failed this very request: trying to record the refusal there would only
      // hold the 503 for another time-out. The log line is the record instead, with what the
      // provider was asked to do if the request got that far (a cached key and machine).
      passage.request.log.error(
        { audit: entry },
        'store unavailable: answered 503 without an audit record',
      );
      return this.#error(passage, error, entry, false);
    }
    return this.#audit.record(entry).then(
      () => this.#error(passage, error, entry, true),
      (auditError: unknown) => {
        passage.request.log.error(
          { err: auditError, audit: entry },
          'could not record a refused request in the audit log',
        );
        return this.#error(passage, error, entry, false);
      },
    );
  }

  /** A fault (a step threw, the audit write failed): 503 when the store is away, else 500. */
  #failed(passage: Passage, thrown: unknown): MaybePromise<PowerAnswer> {
    if (thrown instanceof StoreUnavailableError) {
      if (passage.principal === null) {
        passage.request.log.error({ err: thrown }, 'request failed');
      } else {
        passage.request.log.error(
          { err: thrown, audit: this.#entry(passage, 503, 'service_unavailable') },
          'store unavailable: answered 503 without an audit record',
        );
      }
      return this.#error(passage, this.#errorOf(passage, Refusals.store_unavailable), null, false);
    }
    passage.request.log.error({ err: thrown }, 'request failed');
    return this.#refused(passage, Refusals.internal);
  }

  #errorOf(passage: Passage, refusal: Refusal): ApiError {
    const { family, action } = passage.request.route;
    if (refusal === Refusals.provider_failed) {
      return Errors.providerRefused(passage.trace?.reason ?? 'provider_rejected');
    }
    if (refusal === Refusals.idempotency_key_malformed && passage.idempotencyProblem !== null) {
      return Errors.invalidIdempotencyKey(passage.idempotencyProblem);
    }
    return refusalError(refusal, family, action, this.#retryAfter(passage, refusal));
  }

  /**
   * `reply`: the body and `Location` the request is answered with, stored for replays when the
   * request claimed an `Idempotency-Key`; `replayOf`: the first request, on a replay's entry.
   */
  #entry(
    passage: Passage,
    status: number,
    error: string | null,
    actionId?: string,
    reply: { readonly body: string; readonly location: string | null } | null = null,
    replayOf: string | null = null,
  ): AuditEntry {
    const { request } = passage;
    const key = passage.claimed && reply !== null ? passage.idempotencyKey : null;
    return auditEntryOf({
      requestId: request.requestId,
      route: request.route,
      principal: passage.principal as Principal,
      resourceId: request.resourceId,
      clientIp: request.clientAddress(),
      trace: passage.trace,
      status,
      error,
      ...(actionId === undefined ? {} : { actionId }),
      ...(key === null || reply === null
        ? {}
        : { idempotency: { key, reply: { status, error, ...reply } } }),
      ...(replayOf === null ? {} : { replayOf }),
    });
  }

  #error(
    passage: Passage<KeyRequestFacts>,
    error: ApiError,
    audit: AuditEntry | null,
    audited: boolean,
  ): PowerAnswer {
    const headers: string[] = [];
    for (const name in error.headers) headers.push(name, error.headers[name] ?? '');
    return this.#answer(passage, error.statusCode, headers, error.json, audit, audited);
  }

  #answer(
    passage: Passage<KeyRequestFacts>,
    status: number,
    headers: string[],
    body: string,
    audit: AuditEntry | null,
    audited: boolean,
  ): PowerAnswer {
    const limit =
      passage.limit === null ? headers : [...rateLimitHeaders(passage.limit), ...headers];
    // Failed authentications and refused addresses are summed up per address by the budget's
    // summary line, not logged one by one: a brute force must not fill the disk.
    const summarised = passage.principal === null && this.#failures !== undefined;
    return { status, headers: limit, contentType: JSON_TYPE, body, audit, audited, summarised };
  }
}
