import { ApiError, shared, sharedBy } from './errors.js';

export type ResourceType = 'vps' | 'game';
export type PowerAction = 'start' | 'stop' | 'reset' | 'restart' | 'kill';

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
  /** The 403 answered for an id outside the key's scope, known or not. */
  readonly denied: () => ApiError;
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
  denied: shared(() => new ApiError(403, 'unauthorized', 'You do not have access to this VPS')),
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
  denied: shared(
    () => new ApiError(403, 'forbidden', 'You do not have access to this game server'),
  ),
});

export const FAMILIES: readonly PowerFamily[] = [VPS_FAMILY, GAME_FAMILY];

export const familyOf = (type: ResourceType): PowerFamily =>
  type === 'vps' ? VPS_FAMILY : GAME_FAMILY;

const capitalised = (action: PowerAction): string =>
  action.charAt(0).toUpperCase() + action.slice(1);

/** `Start action sent`, as in the reference. */
export const successMessage = (action: PowerAction): string => `${capitalised(action)} action sent`;

export const confirmationRequired = sharedBy(
  (action: PowerAction) =>
    new ApiError(400, 'confirmation_required', `${capitalised(action)} requires force=true`),
);

/** The success body of the reference, field order included. */
export const successBody = (
  family: PowerFamily,
  action: PowerAction,
  id: string,
): Readonly<Record<string, string | boolean>> => ({
  success: true,
  action,
  [family.idField]: id,
  status: 'requested',
  message: successMessage(action),
});

/**
 * `successBody` as JSON text, for one family and action: the fixed parts are serialised once, only
 * the id per request. `JSON.stringify` of the whole body gives the same bytes.
 */
export const successJson = (family: PowerFamily, action: PowerAction): ((id: string) => string) => {
  const [head, tail] = JSON.stringify(successBody(family, action, '\u0000')).split('"\\u0000"');
  return (id) => `${head ?? ''}${JSON.stringify(id)}${tail ?? ''}`;
};

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
