import { DEFAULTS } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { generateApiKey } from '../src/domain/api-key.js';
import { createLogger } from '../src/logger.js';

export interface BenchRequest {
  readonly path: string;
  readonly key: string;
  /** Sends an `Idempotency-Key` of its own with every request (never a replay). */
  readonly idempotent?: boolean;
}

/** Request mixes for every case, rotating over many keys and ids like a real fleet. */
export interface Fixtures {
  readonly customers: number;
  readonly keys: number;
  readonly resources: number;
  /** Owners powering their own machines: the 200 path. */
  readonly accepted: readonly BenchRequest[];
  /** Well-formed keys (valid checksum) that do not exist: the 401 path. */
  readonly unknownKey: readonly BenchRequest[];
  /** So many such keys that none is seen twice by the unknown-key cache: brute force. */
  readonly freshKeys: readonly BenchRequest[];
  /** Good keys on another customer's machine: the 403 path. */
  readonly foreign: readonly BenchRequest[];
}

const VPS = '/v1/hosting/cloud/vps-custom';
const GAME = '/v1/hosting/game/power';
const actor = { name: 'bench' };
/**
 * Five times the 10 000 unknown digests the server remembers: by the time the rotation comes back
 * to a key, the key has left that cache, so every request is a first sight and asks the store.
 */
const FRESH_KEYS = 50_000;

/**
 * Seeds a store with `customers` customers, each owning one VPS and one game server on a simulator,
 * with a power key and a read key each: hundreds of keys and resources, as the benchmark asks.
 */
export const seed = async (databaseUrl: string, customers: number): Promise<Fixtures> => {
  const container = await createContainer(
    { ...DEFAULTS, databaseUrl, logLevel: 'warn' },
    { logger: createLogger('warn', process.stderr), serving: false },
  );
  const accepted: BenchRequest[] = [];
  const unknownKey: BenchRequest[] = [];
  const foreign: BenchRequest[] = [];
  try {
    const { machines, keys } = container;
    await machines.addProvider(
      { name: 'sim', type: 'simulator', settings: { transitionMs: 1_000 } },
      actor,
    );
    const vps = (c: number) => `vps_${String(c).padStart(4, '0')}`;
    const srv = (c: number) => `srv_${String(c).padStart(4, '0')}`;
    const powerKeys: string[] = [];
    for (let c = 0; c < customers; c++) {
      const customerId = `cus_${String(c).padStart(4, '0')}`;
      await machines.addResource({ type: 'vps', id: vps(c), customerId, provider: 'sim' }, actor);
      await machines.addResource({ type: 'game', id: srv(c), customerId, provider: 'sim' }, actor);
      powerKeys.push((await keys.create({ customerId, scope: 'power' }, actor)).plaintext);
      await keys.create({ customerId, scope: 'read' }, actor);
    }
    for (let c = 0; c < customers; c++) {
      const key = powerKeys[c] ?? '';
      // Actions that succeed in any simulated state, so every request of the mix is a 200.
      accepted.push({ path: `${VPS}/${vps(c)}/start`, key });
      accepted.push({ path: `${GAME}/${srv(c)}/restart`, key });
      accepted.push({ path: `${VPS}/${vps(c)}/stop`, key });
      accepted.push({ path: `${GAME}/${srv(c)}/start`, key });
      unknownKey.push({ path: `${VPS}/${vps(c)}/start`, key: generateApiKey().plaintext });
      foreign.push({ path: `${VPS}/${vps((c + 1) % customers)}/start`, key });
    }
    const freshKeys = Array.from({ length: FRESH_KEYS }, (_, n) => ({
      path: `${VPS}/${vps(n % customers)}/start`,
      key: generateApiKey().plaintext,
    }));
    return {
      customers,
      keys: customers * 2,
      resources: customers * 2,
      accepted,
      unknownKey,
      freshKeys,
      foreign,
    };
  } finally {
    await container.close();
  }
};
