import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. What the follower needs to see every accepted action to its end, shared by
 * every instance: when the action is next due for a look (`next_check_at`; `NULL` once it has
 * ended), how many looks it has had, what the looks found so far (`progress`), and the lease of the
 * instance looking at it now (`lease`). An instance takes due actions by moving their
 * `next_check_at` one lease ahead, so an action whose instance died is due again when its lease
 * runs out. Actions still open from before this version are looked at once more.
 */
export const up = (capabilities: SqlCapabilities): readonly string[] => [
  `ALTER TABLE actions ADD COLUMN next_check_at ${capabilities.bigint}`,
  'ALTER TABLE actions ADD COLUMN checks INTEGER NOT NULL DEFAULT 0',
  'ALTER TABLE actions ADD COLUMN progress TEXT',
  'ALTER TABLE actions ADD COLUMN lease TEXT',
  'UPDATE actions SET next_check_at = requested_at WHERE finished_at IS NULL',
  'CREATE INDEX actions_due ON actions (next_check_at) WHERE next_check_at IS NOT NULL',
];
