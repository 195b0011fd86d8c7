import { RESOURCE_TYPES, type ResourceType } from '../domain/power.js';
import type { AuditFilter, OperatorFilter, ResourceRef } from '../store/store.js';

/**
 * The filters of the two logs, as the CLI (`heo-power audit`) and the admin API
 * (`GET /admin/v1/audit`) read them: one set of rules, each tool naming the option its own way.
 */

export const POWER_ACTIONS = ['start', 'stop', 'reset', 'restart', 'kill'] as const;

export const TEXT_RULE = 'expected 1 to 256 characters';
export const RESOURCE_RULE = 'expected <type>:<id> with type vps or game (vps:vps_123)';
export const STATUS_RULE = 'expected an HTTP status from 100 to 599';

/** An id or name to filter by: 1 to 256 characters. */
export const isFilterText = (value: string): boolean => value.length > 0 && value.length <= 256;

/** `vps:vps_123` or `game:srv_123`, or `null`. */
export const parseResourceRef = (value: string): ResourceRef | null => {
  const colon = value.indexOf(':');
  const type = value.slice(0, colon);
  const id = value.slice(colon + 1);
  if (colon < 0 || !(RESOURCE_TYPES as readonly string[]).includes(type) || !isFilterText(id))
    return null;
  return { type: type as ResourceType, id };
};

/** Three digits from 100 to 599, or `null`. */
export const parseHttpStatus = (value: string): number | null =>
  /^[1-5][0-9]{2}$/.test(value) ? Number(value) : null;

/** What the power audit log is filtered by; anything left out does not narrow. */
export interface AuditFilterFields {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly keyId?: string | undefined;
  readonly customerId?: string | undefined;
  readonly resource?: ResourceRef | undefined;
  readonly action?: string | undefined;
  readonly status?: number | undefined;
  readonly requestId?: string | undefined;
}

/** What the operator log is filtered by: a key's or a machine's own events, an event name. */
export interface OperatorFilterFields {
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly keyId?: string | undefined;
  readonly resource?: ResourceRef | undefined;
  readonly event?: string | undefined;
}

const defined = <T extends object>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };

export const auditFilterOf = (fields: AuditFilterFields): AuditFilter => defined({ ...fields });

/** The caller refuses `keyId` with `resource` (a subject is one or the other). */
export const operatorFilterOf = (fields: OperatorFilterFields): OperatorFilter => {
  const subject =
    fields.keyId !== undefined
      ? { kind: 'key', id: fields.keyId }
      : fields.resource === undefined
        ? undefined
        : { kind: fields.resource.type, id: fields.resource.id };
  return defined({ since: fields.since, until: fields.until, event: fields.event, subject });
};
