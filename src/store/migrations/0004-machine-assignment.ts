import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. When a machine came to its current customer (epoch ms): set when it is
 * added and again when it is moved to another customer. Existing machines came to theirs when
 * they were added.
 */
export const up = ({ bigint }: SqlCapabilities): readonly string[] => [
  `ALTER TABLE resources ADD COLUMN assigned_at ${bigint} NOT NULL DEFAULT 0`,
  'UPDATE resources SET assigned_at = created_at',
];
