import { openSqliteStore } from '../../src/store/sqlite/open-sqlite.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeStoreContract } from './store-contract.js';

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
