import type { KeyScope } from '../domain/access.js';
import { generateApiKey } from '../domain/api-key.js';
import { ID_RULE, isValidId, newKeyId } from '../domain/ids.js';
import type { ResourceType } from '../domain/power.js';
import type { Actor, ApiKeyRecord, ResourceRef, Store } from '../store/store.js';
import { AdminError } from '../domain/admin-error.js';

export interface NewKeyRequest {
  readonly customerId: string;
  readonly scope: KeyScope;
  /** Empty or absent: all of the customer's resources, present and future. */
  readonly resources?: readonly ResourceRef[];
  readonly expiresInMs?: number;
  readonly name?: string;
}

export interface CreatedKey {
  readonly record: ApiKeyRecord;
  /** The key itself: shown once, never stored. */
  readonly plaintext: string;
}

const MAX_NAME_LENGTH = 100;
const NOUN: Readonly<Record<ResourceType, string>> = { vps: 'VPS', game: 'game server' };

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
    const createdAt = this.now();
    const generated = generateApiKey();
    const record: ApiKeyRecord = {
      id: newKeyId(),
      customerId: request.customerId,
      name,
      scope: request.scope,
      resources,
      displayPrefix: generated.displayPrefix,
      createdAt,
      expiresAt: request.expiresInMs === undefined ? null : createdAt + request.expiresInMs,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.store.keys.create({ ...record, hash: generated.hash }, actor);
    return { record, plaintext: generated.plaintext };
  }

  async revoke(id: string, actor: Actor): Promise<ApiKeyRecord> {
    if (!(await this.store.keys.revoke(id, this.now(), actor)))
      throw new AdminError(`unknown key "${id}" (see "keys list")`);
    const record = await this.store.keys.get(id);
    if (record === undefined) throw new AdminError(`unknown key "${id}"`);
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
