import type { PowerFamily } from '../domain/power.js';
import type { ActionRecord } from '../store/store.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * One action as the API shows it (`vps_id` or `server_id` after its family): the body of
 * `GET …/{id}/actions/{action_id}` without `success`, and the `data` of its webhook events.
 */
export const actionView = (
  family: PowerFamily,
  action: ActionRecord,
): Record<string, string | null> => ({
  action_id: action.id,
  action: action.action,
  [family.idField]: action.resourceId,
  status: action.status,
  requested_at: iso(action.requestedAt),
  finished_at: iso(action.finishedAt),
  error: action.error,
});
