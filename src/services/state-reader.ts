import type { MachineState } from '../domain/power.js';
import { BoundedCache } from '../lib/bounded-cache.js';
import type { Log } from '../logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ResourceRecord } from '../store/store.js';
import { providerOfMachine } from './action-sender.js';

/** A machine's power state as its back-end reported it, and when; `null`: it could not tell. */
export interface MachineStateReading {
  readonly state: MachineState;
  readonly checkedAt: number;
}

/** How long a read of a machine's state is reused: polling clients share one back-end call. */
export const STATE_CACHE_MS = 2_000;

interface Entry {
  readonly at: number;
  readonly reading: Promise<MachineStateReading | null>;
}

/**
 * Reads machines' power state from their back-ends, protecting the back-ends from polling: a
 * reading is reused for `STATE_CACHE_MS`, and reads of one machine while a call is on its way
 * share that call. A back-end that cannot answer gives `null` (logged here, never shown).
 */
export class StateReader {
  readonly #providers: Pick<ProviderRegistry, 'get'>;
  readonly #entries = new BoundedCache<string, Entry>(10_000);
  readonly #now: () => number;

  constructor(providers: Pick<ProviderRegistry, 'get'>, now: () => number = Date.now) {
    this.#providers = providers;
    this.#now = now;
  }

  read(
    machine: ResourceRecord,
    context: { requestId: string; logger: Log },
  ): Promise<MachineStateReading | null> {
    const key = `${machine.type}:${machine.id}:${machine.provider}:${machine.ref}`;
    const now = this.#now();
    const cached = this.#entries.get(key);
    if (cached !== undefined && now - cached.at < STATE_CACHE_MS) return cached.reading;
    const reading = this.#ask(machine, context);
    this.#entries.set(key, { at: now, reading });
    // A failure is not kept: the next read asks again.
    void reading.then(
      (result) => {
        if (result === null && this.#entries.get(key)?.reading === reading)
          this.#entries.set(key, { at: -Infinity, reading });
      },
      () => undefined,
    );
    return reading;
  }

  async #ask(
    machine: ResourceRecord,
    context: { requestId: string; logger: Log },
  ): Promise<MachineStateReading | null> {
    const found = await providerOfMachine(this.#providers, machine.provider, context.logger);
    if (!('provider' in found)) return null;
    const { provider } = found;
    const outcome = await provider.state(
      { resourceType: machine.type, resourceId: machine.id, ref: machine.ref },
      context,
    );
    if (!outcome.read) {
      context.logger.warn(
        { provider: machine.provider, failure: outcome.failure, detail: outcome.detail },
        'provider could not read the machine state',
      );
      return null;
    }
    return { state: outcome.state, checkedAt: this.#now() };
  }
}
