import type { KeyScope } from '../domain/access.js';
import { generateApiKey } from '../domain/api-key.js';
import { ID_RULE, isValidId, newKeyId } from '../domain/ids.js';
import type { ResourceType } from '../domain/power.js';
import type { Actor, ApiKeyRecord, ResourceRef, Store } from '../store/store.js';
import { AdminError } from '../domain/admin-error.js';
import { parseAddressRange } from '../lib/address-list.js';

export interface NewKeyRequest {
  readonly customerId: string;
  readonly scope: KeyScope;
  /** Empty or absent: all of the customer's resources, present and future. */
  readonly resources?: readonly ResourceRef[];
  readonly expiresInMs?: number;
  readonly name?: string;
  /** Client addresses or networks the key may be used from; empty or absent: anywhere. */
  readonly allowedIps?: readonly string[];
}

/** How long a rotated key keeps working beside its replacement, unless told. */
export const DEFAULT_ROTATION_OVERLAP_MS = 24 * 3_600_000;

export interface CreatedKey {
  readonly record: ApiKeyRecord;
  /** The key itself: shown once, never stored. */
  readonly plaintext: string;
  /** How many machines its customer has now: none makes a key that reaches nothing yet. */
  readonly customerMachines: number;
}

const MAX_NAME_LENGTH = 100;
const NOUN: Readonly<Record<ResourceType, string>> = { vps: 'VPS', game: 'game server' };

const unknownKey = (id: string): AdminError =>
  new AdminError(`unknown key "${id}" (see "keys list")`, 'not_found');

export class KeyService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async create(request: NewKeyRequest, actor: Actor): Promise<CreatedKey> {
    if (!isValidId(request.customerId))
      throw new AdminError(`invalid customer id "${request.customerId}": ${ID_RULE}`);
    const name = request.name?.trim() || null;
    if (name !== null && name.length > MAX_NAME_LENGTH)
      throw new AdminError(`key name must be at most ${MAX_NAME_LENGTH} characters`);
    const resources = await this.checkResources(request.customerId, request.resources ?? []);
    const allowedIps = allowlistOf(request.allowedIps ?? []);
    const createdAt = this.now();
    const { record, plaintext, hash } = newKey({
      customerId: request.customerId,
      name,
      scope: request.scope,
      resources,
      allowedIps,
      createdAt,
      expiresAt: request.expiresInMs === undefined ? null : createdAt + request.expiresInMs,
    });
    await this.store.keys.create({ ...record, hash }, actor);
    const customerMachines = (await this.store.resources.list({ customerId: request.customerId }))
      .length;
    return { record, plaintext, customerMachines };
  }

  /**
   * A new key for the same customer, scope, machines, allowlist, name and expiry, shown once; the
   * old key keeps working for `overlapMs` (or until its own expiry, if sooner), then expires.
   */
  async rotate(
    id: string,
    overlapMs: number,
    actor: Actor,
  ): Promise<{ readonly created: CreatedKey; readonly old: ApiKeyRecord }> {
    const old = await this.store.keys.get(id);
    if (old === undefined) throw unknownKey(id);
    const now = this.now();
    if (old.revokedAt !== null) throw new AdminError(`key "${id}" is revoked: create a new one`);
    if (old.expiresAt !== null && old.expiresAt <= now)
      throw new AdminError(`key "${id}" has expired: create a new one`);
    const { record, plaintext, hash } = newKey({ ...old, createdAt: now });
    const rotated = await this.store.keys.rotate(
      id,
      { ...record, hash },
      now + overlapMs,
      now,
      actor,
    );
    if (!rotated)
      throw new AdminError(`key "${id}" was already rotated or is no longer active`, 'conflict');
    const updated = await this.store.keys.get(id);
    if (updated === undefined) throw unknownKey(id);
    const customerMachines = (await this.store.resources.list({ customerId: old.customerId }))
      .length;
    return { created: { record, plaintext, customerMachines }, old: updated };
  }

  async revoke(id: string, actor: Actor): Promise<ApiKeyRecord> {
    if (!(await this.store.keys.revoke(id, this.now(), actor))) throw unknownKey(id);
    return this.get(id);
  }

  async get(id: string): Promise<ApiKeyRecord> {
    const record = await this.store.keys.get(id);
    if (record === undefined) throw unknownKey(id);
    return record;
  }

  list(customerId?: string): Promise<readonly ApiKeyRecord[]> {
    return this.store.keys.list(customerId === undefined ? {} : { customerId });
  }

  /** A restricted key may only name existing resources of its own customer. */
  private async checkResources(
    customerId: string,
    refs: readonly ResourceRef[],
  ): Promise<readonly ResourceRef[] | null> {
    if (refs.length === 0) return null;
    const unique = new Map(refs.map((ref) => [`${ref.type}:${ref.id}`, ref]));
    for (const ref of unique.values()) {
      const resource = await this.store.resources.get(ref.type, ref.id);
      if (resource === undefined || resource.customerId !== customerId) {
        throw new AdminError(
          `${NOUN[ref.type]} "${ref.id}" is not a ${NOUN[ref.type]} of customer "${customerId}"`,
        );
      }
    }
    // The order the store lists them in: by type, then id.
    return [...unique.values()].sort(
      (a, b) => a.type.localeCompare(b.type) || a.id.localeCompare(b.id),
    );
  }
}

type KeyFields = Pick<
  ApiKeyRecord,
  'customerId' | 'name' | 'scope' | 'resources' | 'allowedIps' | 'createdAt' | 'expiresAt'
>;

/** A fresh key with these fields: its record, its plaintext (shown once) and its digest. */
const newKey = (fields: KeyFields) => {
  const generated = generateApiKey();
  const record: ApiKeyRecord = {
    id: newKeyId(),
    customerId: fields.customerId,
    name: fields.name,
    scope: fields.scope,
    resources: fields.resources,
    allowedIps: fields.allowedIps,
    displayPrefix: generated.displayPrefix,
    createdAt: fields.createdAt,
    expiresAt: fields.expiresAt,
    revokedAt: null,
    lastUsedAt: null,
  };
  return { record, plaintext: generated.plaintext, hash: generated.hash };
};

/** Normalised, without repeats; `null` (anywhere) when none is given. */
const allowlistOf = (texts: readonly string[]): readonly string[] | null => {
  if (texts.length === 0) return null;
  const ranges = texts.map((text) => {
    const range = parseAddressRange(text);
    if (range === null) {
      throw new AdminError(
        `invalid --allow-ip "${text}": expected an IPv4 or IPv6 address or network, e.g. 192.0.2.10 or 2001:db8::/32`,
      );
    }
    return range;
  });
  return [...new Set(ranges)];
};
