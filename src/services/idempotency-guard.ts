import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreBusyError, StoreUnavailableError } from '../store/errors.js';
import type { IdempotencyStore, IdempotentReply } from '../store/store.js';

/** What a request with an `Idempotency-Key` may do, once the key is looked at. */
export type KeyDecision =
  /** This request won the key: it alone calls the back-end, and its outcome is stored. */
  | { readonly kind: 'claimed' }
  /** The first request's reply, to be sent again. */
  | { readonly kind: 'replay'; readonly reply: IdempotentReply; readonly firstRequestId: string }
  /** The first request is still running. */
  | { readonly kind: 'in_progress' }
  /** The key was used for a different request. */
  | { readonly kind: 'reused' }
  /**
   * The first request claimed the key but its outcome was never stored (its instance died, or
   * the store failed as it was being recorded): the back-end may or may not have been called.
   */
  | { readonly kind: 'outcome_unknown' };

export interface IdempotencySettings {
  /** How long a key is remembered after its first request. */
  readonly ttlMs: number;
  /**
   * How long an unfinished claim counts as in progress: longer than any request can take
   * (the back-end's time-out, the claim's and the audit record's store time-outs).
   */
  readonly leaseMs: number;
  /** Longest a claim waits for a busy SQLite database before the request is answered 503. */
  readonly storeTimeoutMs: number;
}

/** JSON with object keys sorted, so that two bodies that parse alike have one fingerprint. */
const canonical = (value: unknown): string => {
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonical(record[name])}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
};

/**
 * What a retry must ask again to be a retry: the method, the path (family, machine, action), the
 * confirmation (`force`, from the query or the body) and the body as parsed.
 */
export const requestFingerprint = (path: string, confirmed: boolean, body: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(['POST', path, confirmed]))
    // No body and a body of `null` differ.
    .update(body === undefined ? '' : `\n${canonical(body)}`)
    .digest('base64url');

/**
 * The rules of `Idempotency-Key`: keys are scoped to the API key that sent them, remembered for
 * the window, claimed in the shared store by the one request whose insert wins (whichever
 * instance it reached), and answered from there for every other request with the key.
 */
export class IdempotencyGuard {
  readonly #store: IdempotencyStore;
  readonly #settings: IdempotencySettings;
  readonly #now: () => number;

  constructor(
    store: IdempotencyStore,
    settings: IdempotencySettings,
    now: () => number = Date.now,
  ) {
    this.#store = store;
    this.#settings = settings;
    this.#now = now;
  }

  get ttlMs(): number {
    return this.#settings.ttlMs;
  }

  async decide(
    apiKeyId: string,
    key: string,
    fingerprint: string,
    requestId: string,
  ): Promise<KeyDecision> {
    const now = this.#now();
    const outcome = await this.#claim({
      keyId: apiKeyId,
      key,
      fingerprint,
      requestId,
      now,
      expiresAt: now + this.#settings.ttlMs,
      leaseUntil: now + this.#settings.leaseMs,
    });
    if (outcome.claimed) return { kind: 'claimed' };
    const { record } = outcome;
    if (record.fingerprint !== fingerprint) return { kind: 'reused' };
    if (record.reply !== null) {
      return { kind: 'replay', reply: record.reply, firstRequestId: record.requestId };
    }
    return record.leaseUntil > now ? { kind: 'in_progress' } : { kind: 'outcome_unknown' };
  }

  /**
   * A busy SQLite database (another process's write, the audit thread's commit) fails at once
   * in a serving store: the claim waits here a few milliseconds at a time, up to the store's
   * time-out, without stopping the event loop.
   */
  async #claim(claim: Parameters<IdempotencyStore['claim']>[0]) {
    const deadline = performance.now() + this.#settings.storeTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        return await this.#store.claim(claim);
      } catch (error) {
        if (!(error instanceof StoreBusyError)) throw error;
        const left = deadline - performance.now();
        if (left <= 0) {
          throw new StoreUnavailableError('idempotency key not claimed in time', { cause: error });
        }
        await sleep(Math.min(wait, left));
      }
    }
  }
}
