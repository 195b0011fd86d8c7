import type { ChangeFeed, MigrationStatus, Store, StoreDialect } from '../store.js';
import { SqlActionStore } from './actions.js';
import { SqlAdminTokenStore } from './admin-tokens.js';
import { SqlAuditStore } from './audit.js';
import { bumpConfigVersion, type ChangeSignal } from './change-signal.js';
import type { SqlExecutor } from './executor.js';
import { SqlIdempotencyStore } from './idempotency.js';
import { SqlKeyStore } from './keys.js';
import { applyMigrations, type ExclusiveMigration, readMigrationStatus } from './migrator.js';
import { SqlOperatorLogStore } from './operator-log.js';
import { SqlProviderStore } from './providers.js';
import { SqlResourceStore } from './resources.js';
import { SqlWebhookStore } from './webhooks.js';

export interface SqlStoreParts {
  readonly dialect: StoreDialect;
  readonly location: string;
  readonly db: SqlExecutor;
  readonly changes: ChangeFeed;
  /** Runs after the config version is bumped, inside the same transaction. */
  readonly onChange?: ChangeSignal;
  /**
   * Serialises migrators across processes (an advisory lock on PostgreSQL) and hands `work` the
   * executor to migrate with; without it, migrations run on `db`.
   */
  readonly exclusiveMigration?: ExclusiveMigration;
  readonly close?: () => Promise<void>;
}

/** One set of repositories over any `SqlExecutor`. */
export const createSqlStore = (parts: SqlStoreParts): Store => {
  const { db, onChange } = parts;
  const signal: ChangeSignal = async (tx) => {
    await bumpConfigVersion(tx);
    if (onChange) await onChange(tx);
  };
  return {
    dialect: parts.dialect,
    location: parts.location,
    providers: new SqlProviderStore(db, signal),
    resources: new SqlResourceStore(db, signal),
    keys: new SqlKeyStore(db, signal),
    adminTokens: new SqlAdminTokenStore(db),
    audit: new SqlAuditStore(db),
    actions: new SqlActionStore(db),
    idempotency: new SqlIdempotencyStore(db),
    operatorLog: new SqlOperatorLogStore(db),
    webhooks: new SqlWebhookStore(db, signal),
    changes: parts.changes,
    migrationStatus: (): Promise<MigrationStatus> => readMigrationStatus(db),
    migrate: () => applyMigrations(db, parts.exclusiveMigration),
    ping: async () => {
      await db.get('SELECT 1 AS ok');
    },
    close: parts.close ?? (() => db.close()),
  };
};
