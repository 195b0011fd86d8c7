import type { AuditEntry } from '../../src/store/store.js';

/** An accepted power request's audit entry, numbered `n` (`req-<n>`), with any field replaced. */
export const auditEntry = (n: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at: 10_000 + n,
  requestId: `req-${n}`,
  keyId: 'key_a',
  customerId: 'cus_a',
  resourceType: 'vps',
  resourceId: 'vps_1',
  action: 'start',
  status: 200,
  error: null,
  clientIp: '127.0.0.1',
  provider: 'sim',
  upstreamStatus: 200,
  upstreamDetail: null,
  taskRef: `task-${n}`,
  replayOf: null,
  ...overrides,
});
