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

export interface DirectoryOptions {
  readonly keyCacheSize?: number;
  readonly resourceCacheSize?: number;
}

const toPrincipal = (key: StoredApiKey): Principal => ({
  keyId: key.id,
  customerId: key.customerId,
  scope: key.scope,
  resources:
    key.resources === null ? null : new Set(key.resources.map((r) => resourceKey(r.type, r.id))),
});

/**
 * The request path's read model of keys and resources: bounded caches in front of the store,
 * dropped whole the moment the store reports a configuration change (a key revoked by the CLI in
 * another process shows on the very next request).
 */
export class Directory {
  readonly #store: Store;
  readonly #providers: ProviderRegistry;
  readonly #keys: BoundedCache<string, KnownKey>;
  readonly #unknownKeys: BoundedCache<string, true>;
  readonly #resources: BoundedCache<string, ResourceRecord>;
  readonly #unknownResources: BoundedCache<string, true>;

  constructor(store: Store, providers: ProviderRegistry, options: DirectoryOptions = {}) {
    this.#store = store;
    this.#providers = providers;
    const keys = options.keyCacheSize ?? 10_000;
    const resources = options.resourceCacheSize ?? 50_000;
    this.#keys = new BoundedCache(keys);
    this.#unknownKeys = new BoundedCache(keys);
    this.#resources = new BoundedCache(resources);
    this.#unknownResources = new BoundedCache(resources);
  }

  /** Call once at the start of each request: drops every cache if configuration changed. */
  refresh(): void {
    if (!this.#store.changes.poll()) return;
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
