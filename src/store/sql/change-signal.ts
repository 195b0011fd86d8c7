import type { SqlExecutor } from './executor.js';

/**
 * Marks a configuration change inside the transaction that makes it, so that every process
 * watching the store drops its caches. Dialects may add their own notification on top.
 */
export type ChangeSignal = (tx: SqlExecutor) => Promise<void>;

export const bumpConfigVersion: ChangeSignal = async (tx) => {
  await tx.run("UPDATE heo_meta SET value = value + 1 WHERE name = 'config_version'");
};
