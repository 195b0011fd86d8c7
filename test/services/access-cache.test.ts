import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../../src/domain/api-key.js';
import { AccessCache, type AccessCacheOptions } from '../../src/services/access-cache.js';
import { BACKENDS } from '../helpers/backends.js';
import { TestService } from '../helpers/test-service.js';

const neverSeen = (): string => hashApiKey(generateApiKey().plaintext);

describe.each(BACKENDS)('the access cache of keys on $name', (backend) => {
  let service: TestService;
  let known: string;

  beforeEach(async () => {
    service = await TestService.start({ backend });
    known = hashApiKey((await service.createKey('cus_a')).key);
    await service.createKey('cus_b');
  });
  afterEach(async () => service.close());

  const caches = (options: AccessCacheOptions = {}): AccessCache =>
    new AccessCache(service.store, service.container.providers, options);

  it('refuses a never-seen key from memory: with the key table gone, still no store error', async () => {
    const keys = caches();
    await keys.prepare();
    await service.storage?.breakKeyTable();
    for (let i = 0; i < 50; i += 1) expect(keys.keyByHash(neverSeen())).toBeUndefined();
    // A stored key that is not cached yet is still read from the store, which now fails.
    await expect(Promise.resolve().then(() => keys.keyByHash(known))).rejects.toThrow();
  });

  it('asks the store for never-seen keys when there are more keys than it may hold', async () => {
    const keys = caches({ digestSetLimit: 1 });
    await keys.prepare();
    await service.storage?.breakKeyTable();
    await expect(Promise.resolve().then(() => keys.keyByHash(neverSeen()))).rejects.toThrow();
  });

  it('finds a key created after the digests were read, and holds the new set after that', async () => {
    const keys = caches();
    await keys.prepare();
    const created = hashApiKey((await service.createKey('cus_a')).key);
    keys.refresh();
    expect((await keys.keyByHash(created))?.record.customerId).toBe('cus_a');
    // The request after the change reads the digests again; once read, they include the new key.
    await keys.prepare();
    await service.storage?.breakKeyTable();
    expect(keys.keyByHash(neverSeen())).toBeUndefined();
    // The new key is either still cached or asked of the store (which now fails): never refused
    // from memory.
    const answer = keys.keyByHash(created);
    if (answer instanceof Promise) await expect(answer).rejects.toThrow();
    else expect(answer?.record.customerId).toBe('cus_a');
  });
});
