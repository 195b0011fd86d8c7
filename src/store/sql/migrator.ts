import { LATEST_VERSION, MIGRATIONS } from '../migrations/index.js';
import type { MigrationStatus } from '../store.js';
import type { SqlExecutor } from './executor.js';
import { num } from './rows.js';

const HISTORY_TABLE = 'heo_schema_migrations';

const appliedVersions = async (db: SqlExecutor): Promise<ReadonlySet<number>> => {
  const exists = await db.get(db.capabilities.tableExistsQuery, [HISTORY_TABLE]);
  if (exists === undefined) return new Set();
  const rows = await db.all(`SELECT version FROM ${HISTORY_TABLE}`);
  return new Set(rows.map((row) => num(row.version)));
};

export const readMigrationStatus = async (db: SqlExecutor): Promise<MigrationStatus> => {
  const applied = await appliedVersions(db);
  const pending = MIGRATIONS.filter((m) => !applied.has(m.version)).map((m) => m.name);
  const current = Math.max(0, ...applied);
  return { current, latest: LATEST_VERSION, pending };
};

export type ExclusiveMigration = <T>(work: (db: SqlExecutor) => Promise<T>) => Promise<T>;

/**
 * Applies pending migrations in order, each in its own transaction together with its history row.
 * `exclusive` serialises concurrent migrators (an advisory lock on PostgreSQL) and may provide a
 * session of its own to migrate with; what was applied is read again once it holds the lock.
 */
export const applyMigrations = async (
  pool: SqlExecutor,
  exclusive: ExclusiveMigration = (work) => work(pool),
): Promise<readonly string[]> =>
  exclusive(async (db) => {
    await db.run(
      `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at ${db.capabilities.bigint} NOT NULL
      )`,
    );
    const applied = await appliedVersions(db);
    const names: string[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await db.transaction(async (tx) => {
        for (const statement of migration.up(tx.capabilities)) await tx.run(statement);
        await tx.run(`INSERT INTO ${HISTORY_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`, [
          migration.version,
          migration.name,
          Date.now(),
        ]);
      });
      names.push(migration.name);
    }
    return names;
  });
