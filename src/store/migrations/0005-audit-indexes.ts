import type { SqlCapabilities } from '../sql/executor.js';

/**
 * Frozen once shipped. An index for every filter of the audit and operator logs. Each ends in the
 * logs' order (`at`, then `id`), so that a filtered page newest first, and the page after a
 * cursor, are read straight from the index: no sort, no scan of the table, at any size.
 * `audit_log (request_id)` also finds the rows an amendment corrects.
 */
export const up = (_capabilities: SqlCapabilities): readonly string[] => [
  'CREATE INDEX audit_log_at ON audit_log (at, id)',
  'CREATE INDEX audit_log_key ON audit_log (key_id, at, id)',
  'CREATE INDEX audit_log_customer ON audit_log (customer_id, at, id)',
  'CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, at, id)',
  'CREATE INDEX audit_log_action ON audit_log (action, at, id)',
  'CREATE INDEX audit_log_status ON audit_log (status, at, id)',
  'CREATE INDEX audit_log_request ON audit_log (request_id)',
  'CREATE INDEX operator_log_at ON operator_log (at, id)',
  'CREATE INDEX operator_log_event ON operator_log (event, at, id)',
  'CREATE INDEX operator_log_subject ON operator_log (subject, at, id)',
];
