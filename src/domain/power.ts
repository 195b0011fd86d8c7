export type ResourceType = 'vps' | 'game';
export type PowerAction = 'start' | 'stop' | 'reset' | 'restart' | 'kill';

/**
 * A machine's power state as heo-power reports it, whatever the back-end calls it: `paused` is a
 * machine that exists in memory but does not run (a paused or suspended VM), `unknown` a state the
 * back-end reported but that means none of the others (an I/O error, a panic, a value never seen).
 */
export type MachineState = 'running' | 'stopped' | 'starting' | 'stopping' | 'paused' | 'unknown';

export const MACHINE_STATES: readonly MachineState[] = [
  'running',
  'stopped',
  'starting',
  'stopping',
  'paused',
  'unknown',
];

export const RESOURCE_TYPES: readonly ResourceType[] = ['vps', 'game'];

/**
 * An endpoint family of the published reference. The two families differ only in this data;
 * one route builder serves both.
 */
export interface PowerFamily {
  readonly type: ResourceType;
  /** Path prefix before the id, e.g. `/v1/hosting/cloud/vps-custom`. */
  readonly basePath: string;
  /** Name of the path parameter, as the reference writes it (`{id}`, `{server_id}`). */
  readonly pathParam: 'id' | 'server_id';
  /** Name of the id field in success bodies. */
  readonly idField: 'vps_id' | 'server_id';
  /** What the reference calls the resource, for documentation. */
  readonly noun: string;
  /** The id the reference uses in its examples. */
  readonly exampleId: string;
  readonly actions: readonly PowerAction[];
  /** Actions that need `force=true`. */
  readonly confirm: ReadonlySet<PowerAction>;
}

export const VPS_FAMILY: PowerFamily = Object.freeze({
  type: 'vps',
  basePath: '/v1/hosting/cloud/vps-custom',
  pathParam: 'id',
  idField: 'vps_id',
  noun: 'VPS',
  exampleId: 'vps_123',
  actions: Object.freeze(['start', 'stop', 'reset'] as const),
  confirm: new Set<PowerAction>(['reset']),
});

export const GAME_FAMILY: PowerFamily = Object.freeze({
  type: 'game',
  basePath: '/v1/hosting/game/power',
  pathParam: 'server_id',
  idField: 'server_id',
  noun: 'game server',
  exampleId: 'srv_123',
  actions: Object.freeze(['start', 'stop', 'restart', 'kill'] as const),
  confirm: new Set<PowerAction>(['kill']),
});

export const FAMILIES: readonly PowerFamily[] = [VPS_FAMILY, GAME_FAMILY];

/**
 * Why a back-end did not take an action, as a client may be told (the 502's `reason`): stable
 * codes of heo-power's, never the back-end's own words.
 */
export type ProviderReason =
  | 'machine_not_running'
  | 'machine_busy'
  | 'machine_suspended'
  | 'provider_unreachable'
  | 'provider_timeout'
  | 'provider_rejected';

export const familyOf = (type: ResourceType): PowerFamily =>
  type === 'vps' ? VPS_FAMILY : GAME_FAMILY;

/**
 * Confirmation is exactly `force=true` in the query string, or `force` set to `true` or `"true"`
 * in a JSON object body. Anything else is no confirmation.
 */
export const isConfirmed = (query: unknown, body: unknown): boolean => {
  if (isRecord(query) && query.force === 'true') return true;
  if (isRecord(body) && !Array.isArray(body)) {
    const force = body.force;
    return force === true || force === 'true';
  }
  return false;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
