import type { PowerAction, ResourceType } from './power.js';

export type KeyScope = 'power' | 'read';
export const KEY_SCOPES: readonly KeyScope[] = ['power', 'read'];

/** What an authenticated request acts as. */
export interface Principal {
  readonly keyId: string;
  readonly customerId: string;
  readonly scope: KeyScope;
  /** `null`: every resource of the customer, present and future. Otherwise `type:id` entries. */
  readonly resources: ReadonlySet<string> | null;
  /** Whether a client address may use the key; `null`: any address may. */
  readonly allowsAddress: ((address: string | undefined) => boolean) | null;
}

export interface OwnedResource {
  readonly type: ResourceType;
  readonly id: string;
  readonly customerId: string;
}

export const resourceKey = (type: ResourceType, id: string): string => `${type}:${id}`;

/**
 * Deny by default: the resource must exist, belong to the key's customer and be within the key's
 * resource list. Unknown and foreign resources are indistinguishable to the caller.
 */
export const canAccess = (principal: Principal, resource: OwnedResource | undefined): boolean =>
  resource !== undefined &&
  resource.customerId === principal.customerId &&
  (principal.resources === null ||
    principal.resources.has(resourceKey(resource.type, resource.id)));

/** Every power action needs the `power` scope; `read` keys may only read. */
export const scopeAllows = (scope: KeyScope, _action: PowerAction): boolean => scope === 'power';
