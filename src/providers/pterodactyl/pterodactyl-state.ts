import type { MachineState } from '../../domain/power.js';

/**
 * `current_state` of the panel's resources, as Wings names a server's process state, and what it
 * means for a customer. `stopped` is what the panel says when Wings gave no state.
 */
const PANEL_STATES: Readonly<Record<string, MachineState>> = {
  running: 'running',
  starting: 'starting',
  stopping: 'stopping',
  offline: 'stopped',
  stopped: 'stopped',
};

export interface ServerState {
  readonly state: MachineState;
  /** What the panel reported, for the log. */
  readonly detail: string;
  /** `resources.uptime` (Wings gives milliseconds), when it is a number. */
  readonly uptimeMs?: number;
}

/**
 * The state in a `{"object":"stats","attributes":{"current_state":…}}` body, or `null` when the
 * body is not that.
 */
export const serverStateOf = (body: string): ServerState | null => {
  let attributes:
    | { current_state?: unknown; is_suspended?: unknown; resources?: { uptime?: unknown } }
    | undefined;
  try {
    const parsed = JSON.parse(body) as {
      object?: unknown;
      attributes?: typeof attributes;
    } | null;
    if (parsed?.object === 'stats' && typeof parsed.attributes === 'object')
      attributes = parsed.attributes;
  } catch {
    return null;
  }
  const raw = attributes?.current_state;
  if (typeof raw !== 'string' || raw === '') return null;
  const suspended = attributes?.is_suspended === true ? ', suspended' : '';
  const uptime = attributes?.resources?.uptime;
  const state = PANEL_STATES[raw] ?? 'unknown';
  const detail = `current_state ${raw}${suspended}`;
  return typeof uptime === 'number' && Number.isFinite(uptime) && uptime >= 0
    ? { state, detail, uptimeMs: uptime }
    : { state, detail };
};
