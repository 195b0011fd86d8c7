import { AdminError } from '../domain/admin-error.js';
import {
  generateAdminToken,
  hashAdminToken,
  isWellFormedAdminToken,
  newAdminTokenId,
} from '../domain/admin-token.js';
import type { Actor, AdminTokenRecord, Store } from '../store/store.js';

export interface CreatedAdminToken {
  readonly record: AdminTokenRecord;
  /** The token itself: shown once, never stored. */
  readonly plaintext: string;
}

const MAX_NAME_LENGTH = 100;

const unknownToken = (id: string): AdminError =>
  new AdminError(`unknown admin token "${id}" (see "admin-tokens list")`, 'not_found');

/** Tokens of the admin HTTP API: made and revoked by operators, checked on every admin request. */
export class AdminTokenService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async create(name: string | undefined, actor: Actor): Promise<CreatedAdminToken> {
    const label = name?.trim() || null;
    if (label !== null && label.length > MAX_NAME_LENGTH)
      throw new AdminError(`admin token name must be at most ${MAX_NAME_LENGTH} characters`);
    const generated = generateAdminToken();
    const record: AdminTokenRecord = {
      id: newAdminTokenId(),
      name: label,
      displayPrefix: generated.displayPrefix,
      createdAt: this.now(),
      revokedAt: null,
    };
    await this.store.adminTokens.create({ ...record, hash: generated.hash }, actor);
    return { record, plaintext: generated.plaintext };
  }

  list(): Promise<readonly AdminTokenRecord[]> {
    return this.store.adminTokens.list();
  }

  async get(id: string): Promise<AdminTokenRecord> {
    const record = await this.store.adminTokens.get(id);
    if (record === undefined) throw unknownToken(id);
    return record;
  }

  async revoke(id: string, actor: Actor): Promise<AdminTokenRecord> {
    if (!(await this.store.adminTokens.revoke(id, this.now(), actor))) throw unknownToken(id);
    return this.get(id);
  }

  /**
   * The active token with this plaintext, or `null`: malformed, unknown and revoked tokens are
   * all the same refusal. Read through the store, so a revocation holds on the next request.
   */
  async authenticate(plaintext: string): Promise<AdminTokenRecord | null> {
    if (!isWellFormedAdminToken(plaintext)) return null;
    const record = await this.store.adminTokens.findByHash(hashAdminToken(plaintext));
    return record === undefined || record.revokedAt !== null ? null : record;
  }
}

/** Who made a change through the admin API, for the operator log: the token's id, never the token. */
export const adminActor = (token: AdminTokenRecord): Actor => ({ name: `admin:${token.id}` });
