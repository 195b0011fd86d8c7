/** The published reference, as test data: each family's paths, id field and exact texts. */
export interface FamilyCase {
  readonly name: 'vps' | 'game';
  readonly base: string;
  /** The path parameter, as the reference writes it (`{id}`, `{server_id}`). */
  readonly param: 'id' | 'server_id';
  readonly idField: 'vps_id' | 'server_id';
  readonly own: string;
  readonly foreign: string;
  readonly actions: readonly string[];
  readonly confirm: string;
  readonly confirmMessage: string;
  readonly deniedCode: string;
  readonly deniedMessage: string;
  /** An action of the other family, which must be an unknown path here. */
  readonly notAnAction: string;
}

export const VPS: FamilyCase = {
  name: 'vps',
  base: '/v1/hosting/cloud/vps-custom',
  param: 'id',
  idField: 'vps_id',
  own: 'vps_123',
  foreign: 'vps_456',
  actions: ['start', 'stop', 'reset'],
  confirm: 'reset',
  confirmMessage: 'Reset requires force=true',
  deniedCode: 'unauthorized',
  deniedMessage: 'You do not have access to this VPS',
  notAnAction: 'restart',
};

export const GAME: FamilyCase = {
  name: 'game',
  base: '/v1/hosting/game/power',
  param: 'server_id',
  idField: 'server_id',
  own: 'srv_123',
  foreign: 'srv_456',
  actions: ['start', 'stop', 'restart', 'kill'],
  confirm: 'kill',
  confirmMessage: 'Kill requires force=true',
  deniedCode: 'forbidden',
  deniedMessage: 'You do not have access to this game server',
  notAnAction: 'reset',
};

export const FAMILY_CASES: readonly FamilyCase[] = [VPS, GAME];

export const SUCCESS_MESSAGES: Readonly<Record<string, string>> = {
  start: 'Start action sent',
  stop: 'Stop action sent',
  reset: 'Reset action sent',
  restart: 'Restart action sent',
  kill: 'Kill action sent',
};

/** Every power route of both families, with `force=true` where the action needs it. */
export const ALL_ROUTES = FAMILY_CASES.flatMap((family) =>
  family.actions.map((action) => ({
    family,
    action,
    path: (id: string) =>
      `${family.base}/${id}/${action}${action === family.confirm ? '?force=true' : ''}`,
  })),
);
