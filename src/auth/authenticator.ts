import type { Principal } from '../domain/access.js';
import { bearerToken, digestMatches, hashApiKey, isWellFormedApiKey } from '../domain/api-key.js';
import type { Logger } from '../logger.js';
import { andThen, type MaybePromise } from '../lib/maybe-async.js';
import type { AccessCache, KnownKey } from '../services/access-cache.js';
import type { KeyStore } from '../store/store.js';

export interface AuthenticatorOptions {
  readonly caches: AccessCache;
  readonly keys: KeyStore;
  readonly logger: Logger;
  /** How often `last_used_at` is written back, batched. */
  readonly usageFlushMs?: number;
  readonly now?: () => number;
}

/**
 * Bearer key to principal. Cheap checks first (header shape, key format and checksum) so that
 * garbage never reaches the store; one SHA-256 and a cached lookup for the rest. Every failure is
 * the same `null`, so a caller cannot tell a revoked key from an unknown one.
 */
export class Authenticator {
  readonly #caches: AccessCache;
  readonly #keys: KeyStore;
  readonly #logger: Logger;
  readonly #now: () => number;
  #lastUsed = new Map<string, number>();
  readonly #flusher: NodeJS.Timeout;

  constructor(options: AuthenticatorOptions) {
    this.#caches = options.caches;
    this.#keys = options.keys;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#flusher = setInterval(() => void this.flushUsage(), options.usageFlushMs ?? 30_000);
    this.#flusher.unref();
  }

  /**
   * Synchronous when the key is in the cache (or known to be unknown). The caches must have taken
   * in configuration changes first (`AccessCache.refresh`).
   */
  authenticate(authorization: string | undefined): MaybePromise<Principal | null> {
    const token = bearerToken(authorization);
    if (token === null || !isWellFormedApiKey(token)) return null;
    const hash = hashApiKey(token);
    return andThen(this.#caches.keyByHash(hash), (known) => this.#check(known, hash));
  }

  #check(known: KnownKey | undefined, hash: string): Principal | null {
    if (known === undefined || !digestMatches(hash, known.digest)) return null;
    const now = this.#now();
    const { revokedAt, expiresAt } = known.record;
    if (revokedAt !== null || (expiresAt !== null && expiresAt <= now)) return null;
    return known.principal;
  }

  /**
   * The key was used: it passed every check of who may use it (its allowlist included), so its
   * `last_used_at` moves. A key presented from an address it does not allow was not used.
   */
  used(principal: Principal): void {
    this.#lastUsed.set(principal.keyId, this.#now());
  }

  /** Writes the batched `last_used_at` times; failures are logged and retried next time. */
  async flushUsage(): Promise<void> {
    if (this.#lastUsed.size === 0) return;
    const batch = this.#lastUsed;
    this.#lastUsed = new Map();
    try {
      await this.#keys.touch(batch);
    } catch (error) {
      for (const [id, at] of batch) if (!this.#lastUsed.has(id)) this.#lastUsed.set(id, at);
      this.#logger.warn({ err: error }, 'could not record key usage times; will retry');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#flusher);
    await this.flushUsage();
  }
}
