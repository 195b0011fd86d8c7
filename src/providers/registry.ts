import type { MaybePromise } from '../lib/maybe-async.js';
import type { Logger } from '../logger.js';
import type { ProviderRecord, ProviderStore } from '../store/store.js';
import type { ProviderType } from './provider-type.js';
import type { PowerProvider, ProviderDependencies, ProviderFactory } from './provider.js';

interface Entry {
  readonly fingerprint: string;
  readonly provider: PowerProvider;
}

const fingerprintOf = (record: ProviderRecord): string =>
  JSON.stringify([record.type, record.settings, record.secret]);

/**
 * Live provider instances, one per registered provider, built from the store on first use. An
 * instance lives as long as its record is unchanged, so connection pools and simulated machine
 * state survive cache invalidations caused by unrelated changes.
 */
export class ProviderRegistry {
  readonly #store: ProviderStore;
  readonly #factories: ReadonlyMap<ProviderType, ProviderFactory>;
  readonly #dependencies: ProviderDependencies;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry>();
  /** Names whose record must be read again before the instance is used. */
  readonly #stale = new Set<string>();
  readonly #pending = new Map<string, Promise<PowerProvider | undefined>>();

  constructor(
    store: ProviderStore,
    factories: ReadonlyMap<ProviderType, ProviderFactory>,
    dependencies: ProviderDependencies,
  ) {
    this.#store = store;
    this.#factories = factories;
    this.#dependencies = dependencies;
    this.#logger = dependencies.logger;
  }

  factory(type: ProviderType): ProviderFactory | undefined {
    return this.#factories.get(type);
  }

  /** Configuration may have changed: check every instance against its record on next use. */
  invalidate(): void {
    for (const name of this.#entries.keys()) this.#stale.add(name);
  }

  /** Synchronous while the instance is known to match its record; a promise otherwise. */
  get(name: string): MaybePromise<PowerProvider | undefined> {
    const entry = this.#entries.get(name);
    if (entry !== undefined && !this.#stale.has(name)) return entry.provider;
    // Concurrent first requests share one lookup, so a provider is never built twice.
    let pending = this.#pending.get(name);
    if (pending === undefined) {
      pending = this.#refresh(name).finally(() => this.#pending.delete(name));
      this.#pending.set(name, pending);
    }
    return pending;
  }

  /** An instance for a record that is not (or not yet) in the store, e.g. `providers test`. */
  build(record: ProviderRecord): PowerProvider {
    const factory = this.#factories.get(record.type);
    if (factory === undefined) throw new Error(`provider type ${record.type} is not supported`);
    return factory.create(record, this.#dependencies);
  }

  async close(): Promise<void> {
    const entries = [...this.#entries];
    this.#entries.clear();
    await Promise.all(entries.map(([name, entry]) => this.#closeQuietly(name, entry.provider)));
  }

  async #refresh(name: string): Promise<PowerProvider | undefined> {
    this.#stale.delete(name);
    const record = await this.#store.get(name);
    const entry = this.#entries.get(name);
    if (
      entry !== undefined &&
      record !== undefined &&
      fingerprintOf(record) === entry.fingerprint
    ) {
      return entry.provider;
    }
    if (entry !== undefined) {
      this.#entries.delete(name);
      void this.#closeQuietly(name, entry.provider);
    }
    return record === undefined ? undefined : this.#build(record);
  }

  #build(record: ProviderRecord): PowerProvider {
    const provider = this.build(record);
    this.#entries.set(record.name, { fingerprint: fingerprintOf(record), provider });
    return provider;
  }

  async #closeQuietly(name: string, provider: PowerProvider): Promise<void> {
    try {
      await provider.close();
    } catch (error) {
      this.#logger.warn({ err: error, provider: name }, 'provider did not close cleanly');
    }
  }
}
