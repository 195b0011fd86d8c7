import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeStoreContract, key } from './store-contract.js';

describeStoreContract('SQLite', async () => {
  const dir = tempDir();
  const path = dir.file('contract.db');
  const store = openSqliteStore({ path });
  return {
    store,
    openOther: async () => openSqliteStore({ path }),
    cleanup: async () => {
      await store.close();
      dir.remove();
    },
  };
});

// The audit written by its own thread (`HEO_AUDIT_DURABILITY=power-loss`), with what it commits
// alongside: action rows and webhook deliveries.
describeStoreContract('SQLite, audit fsynced by its worker', async () => {
  const dir = tempDir();
  const path = dir.file('contract.db');
  const store = openSqliteStore({ path, auditDurability: 'power-loss' });
  return {
    store,
    openOther: async () => openSqliteStore({ path, auditDurability: 'power-loss' }),
    cleanup: async () => {
      await store.close();
      dir.remove();
    },
  };
});

describe('SQLite key lookup', () => {
  // Brute force asks for a new digest with every request: on SQLite the answer that no key has
  // it comes back at once, with no promise (and so no turn of the microtask queue) per request.
  it('answers an unknown digest without a promise, a known one with the key', async () => {
    const dir = tempDir();
    const store = openSqliteStore({ path: dir.file('lookup.db') });
    try {
      await store.migrate();
      const { hash } = key('key_1');
      await store.keys.create(key('key_1'), { name: 'test' });
      expect(store.keys.findByHash('b'.repeat(64))).toBeUndefined();
      await expect(store.keys.findByHash(hash)).resolves.toMatchObject({ id: 'key_1', hash });
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
