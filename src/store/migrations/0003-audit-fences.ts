import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. One row per audit batch an instance sent to the database, named by the
 * batch (a time-ordered id): the batch's own statement inserts it, and an instance that gave the
 * batch up inserts it too, so that whichever comes second fails. A batch given up on can thus
 * never commit after its requests were answered 503. Rows older than an hour are pruned.
 */
export const up = (_capabilities: SqlCapabilities): readonly string[] => [
  'CREATE TABLE audit_fences (batch TEXT PRIMARY KEY)',
];
