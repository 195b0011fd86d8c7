import { randomBytes } from 'node:crypto';

/** A wall-clock time as the sortable prefix of an audit batch's name. */
export const batchTime = (ms: number): string => Math.max(0, ms).toString(36).padStart(10, '0');

/**
 * The name of a new audit batch (`AuditStore.append`): its wall-clock time, so that old fences
 * are a range of their key, and a random part.
 */
export const auditBatchId = (now = Date.now()): string =>
  `${batchTime(now)}-${randomBytes(8).toString('hex')}`;
