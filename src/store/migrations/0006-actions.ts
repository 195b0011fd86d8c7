import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. Every accepted power action, written in the same commit as its audit
 * row: what was asked, of which machine, and how it ended as far as heo-power knows. A machine's
 * actions are read newest first (`resource_type, resource_id, requested_at, id`).
 */
export const up = (capabilities: SqlCapabilities): readonly string[] => [
  `CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    action TEXT NOT NULL,
    provider TEXT,
    task_ref TEXT,
    status TEXT NOT NULL,
    error TEXT,
    requested_at ${capabilities.bigint} NOT NULL,
    finished_at ${capabilities.bigint}
  )`,
  'CREATE INDEX actions_by_machine ON actions (resource_type, resource_id, requested_at, id)',
];
