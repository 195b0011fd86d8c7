import { AddressList } from '../lib/address-list.js';
import { digestBytes } from '../domain/api-key.js';
import { type Principal, resourceKey } from '../domain/access.js';
import type { ResourceType } from '../domain/power.js';
import { BoundedCache } from '../lib/bounded-cache.js';
import { andThen, type MaybePromise } from '../lib/maybe-async.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ResourceRecord, Store, StoredApiKey } from '../store/store.js';

export interface KnownKey {
  readonly record: StoredApiKey;
  readonly principal: Principal;
  /** The stored digest's bytes, for the constant-time comparison. */
  readonly digest: Buffer;
}

export interface AccessCacheOptions {
  readonly keyCacheSize?: number;
  readonly resourceCacheSize?: number;
  /** Up to this many stored keys, every digest is held in memory (see `keyByHash`). */
  readonly digestSetLimit?: number;
}

const toPrincipal = (key: StoredApiKey): Principal => ({
  keyId: key.id,
  customerId: key.customerId,
  scope: key.scope,
  resources:
    key.resources === null ? null : new Set(key.resources.map((r) => resourceKey(r.type, r.id))),
  allowsAddress: key.allowedIps === null ? null : allowing(new AddressList(key.allowedIps)),
});

const allowing =
  (list: AddressList) =>
  (address: string | undefined): boolean =>
    list.allows(address);

/**
 * The request path's read model of keys and resources: bounded caches in front of the store,
 * dropped whole the moment the store reports a configuration change (a key revoked by the CLI in
 * another process shows on the very next request).
 *
 * Beside the caches it holds the digest of every stored key (while there are at most
 * `digestSetLimit`), so that a key nobody has is refused without asking the store, however many
 * different keys a brute-force attempt tries. The set is dropped with the caches on every change
 * and read again on a later request; until it is back, lookups go to the store as before.
 */
export class AccessCache {
  readonly #store: Store;
  readonly #providers: ProviderRegistry;
  readonly #keys: BoundedCache<string, KnownKey>;
  readonly #unknownKeys: BoundedCache<string, true>;
  readonly #resources: BoundedCache<string, ResourceRecord>;
  readonly #unknownResources: BoundedCache<string, true>;
  readonly #digestSetLimit: number;
  /** Every stored digest; `null` while unknown (not read yet, changed since, or too many). */
  #digests: ReadonlySet<string> | null = null;
  /** Counts configuration changes, so that a set read before the latest one is never used. */
  #generation = 0;
  /** The generation the set was last read for, so that it is read once per change; -1: none. */
  #digestsReadFor = -1;
  /** That read; it never rejects. */
  #digestsRead: Promise<void> = Promise.resolve();
  /** The customers with an enabled webhook endpoint; `null` while unknown. */
  #webhookCustomers: ReadonlySet<string> | null = null;
  #webhooksReadFor = -1;
  #webhooksRead: Promise<void> = Promise.resolve();

  constructor(store: Store, providers: ProviderRegistry, options: AccessCacheOptions = {}) {
    this.#store = store;
    this.#providers = providers;
    const keys = options.keyCacheSize ?? 10_000;
    const resources = options.resourceCacheSize ?? 50_000;
    this.#keys = new BoundedCache(keys);
    this.#unknownKeys = new BoundedCache(keys);
    this.#resources = new BoundedCache(resources);
    this.#unknownResources = new BoundedCache(resources);
    this.#digestSetLimit = options.digestSetLimit ?? 100_000;
  }

  /** Call once at the start of each request: drops every cache if configuration changed. */
  refresh(): void {
    if (!this.#store.changes.poll()) {
      void this.#digestsOfThisGeneration();
      void this.#webhooksOfThisGeneration();
      return;
    }
    this.#generation += 1;
    this.#digests = null;
    this.#webhookCustomers = null;
    this.#keys.clear();
    this.#unknownKeys.clear();
    this.#resources.clear();
    this.#unknownResources.clear();
    this.#providers.invalidate();
  }

  /** Synchronous on a cache hit (known or unknown), a promise when the store must be asked. */
  keyByHash(hash: string): MaybePromise<KnownKey | undefined> {
    const cached = this.#keys.get(hash);
    if (cached !== undefined) return cached;
    if (this.#digests?.has(hash) === false) return undefined;
    if (this.#unknownKeys.get(hash) !== undefined) return undefined;
    return this.#loadKey(hash);
  }

  /** Synchronous on a cache hit (known or unknown), a promise when the store must be asked. */
  resource(type: ResourceType, id: string): MaybePromise<ResourceRecord | undefined> {
    const key = resourceKey(type, id);
    const cached = this.#resources.get(key);
    if (cached !== undefined) return cached;
    if (this.#unknownResources.get(key) !== undefined) return undefined;
    return this.#loadResource(type, id, key);
  }

  /**
   * Takes in any pending change and reads every stored digest now; resolves once they are held
   * (or found too many, or unreadable). The server calls it before it listens, so that its first
   * requests already have them.
   */
  async prepare(): Promise<void> {
    this.refresh();
    await this.#digestsOfThisGeneration();
    await this.#webhooksOfThisGeneration();
  }

  /**
   * Whether the customer may have a webhook endpoint, without a promise: `false` only when the set
   * of customers with one is held and lacks it; while it is unknown (just changed), `true`, so that
   * an event is never left out, at the cost of a statement that queues nothing.
   */
  mayHaveWebhooks(customerId: string): boolean {
    return this.#webhookCustomers?.has(customerId) ?? true;
  }

  #webhooksOfThisGeneration(): Promise<void> {
    if (this.#webhooksReadFor !== this.#generation) this.#webhooksRead = this.#readWebhooks();
    return this.#webhooksRead;
  }

  async #readWebhooks(): Promise<void> {
    const generation = this.#generation;
    this.#webhooksReadFor = generation;
    try {
      const customers = await this.#store.webhooks.customers();
      if (generation === this.#generation) this.#webhookCustomers = customers;
    } catch {
      if (this.#webhooksReadFor === generation) this.#webhooksReadFor = -1;
    }
  }

  /**
   * The read of the set for the current generation, started if it has not been. Called by
   * `prepare` and by a poll that found no change, never by one that did: while a PostgreSQL
   * instance has lost its notification channel, every poll reports a change, and the set is not
   * read again and again in vain until the channel is back.
   */
  #digestsOfThisGeneration(): Promise<void> {
    if (this.#digestsReadFor !== this.#generation) this.#digestsRead = this.#readDigests();
    return this.#digestsRead;
  }

  async #readDigests(): Promise<void> {
    const generation = this.#generation;
    this.#digestsReadFor = generation;
    let hashes: readonly string[] | null;
    try {
      hashes = await this.#store.keys.allHashes(this.#digestSetLimit);
    } catch {
      // The store is unavailable: requests meet that on their own lookups; a later one retries.
      if (this.#digestsReadFor === generation) this.#digestsReadFor = -1;
      return;
    }
    // Not with too many keys to hold (read again after the next change), nor after a change.
    if (hashes !== null && generation === this.#generation) this.#digests = new Set(hashes);
  }

  /** Without a promise when the store answers at once that no key has this digest. */
  #loadKey(hash: string): MaybePromise<KnownKey | undefined> {
    return andThen(this.#store.keys.findByHash(hash), (record) => this.#keyLoaded(hash, record));
  }

  #keyLoaded(hash: string, record: StoredApiKey | undefined): KnownKey | undefined {
    if (record === undefined) {
      this.#unknownKeys.set(hash, true);
      return undefined;
    }
    const known = { record, principal: toPrincipal(record), digest: digestBytes(record.hash) };
    this.#keys.set(hash, known);
    return known;
  }

  async #loadResource(
    type: ResourceType,
    id: string,
    key: string,
  ): Promise<ResourceRecord | undefined> {
    const record = await this.#store.resources.get(type, id);
    if (record === undefined) this.#unknownResources.set(key, true);
    else this.#resources.set(key, record);
    return record;
  }
}
