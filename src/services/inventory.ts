import { ID_RULE, isValidId, isValidProviderName, PROVIDER_NAME_RULE } from '../domain/ids.js';
import type { ResourceType } from '../domain/power.js';
import type { ProviderKind } from '../providers/provider.js';
import { StoreConflictError } from '../store/errors.js';
import type {
  Actor,
  JsonObject,
  ProviderRecord,
  ProviderType,
  ResourceRecord,
  Store,
} from '../store/store.js';
import { AdminError } from './admin-error.js';

export interface NewProvider {
  readonly name: string;
  readonly type: ProviderType;
  readonly settings: JsonObject;
  readonly secret?: { readonly sealed: string; readonly hint: string };
}

export interface NewResource {
  readonly type: ResourceType;
  readonly id: string;
  readonly customerId: string;
  readonly provider: string;
  /** Defaults to the id. */
  readonly ref?: string;
}

const NOUN: Readonly<Record<ResourceType, string>> = { vps: 'VPS', game: 'game server' };

/** Providers and the machines they run: what the operator registers before keys can use them. */
export class Inventory {
  constructor(
    private readonly store: Store,
    private readonly kinds: ReadonlyMap<ProviderType, ProviderKind>,
    private readonly now: () => number = Date.now,
  ) {}

  async addProvider(input: NewProvider, actor: Actor): Promise<ProviderRecord> {
    if (!isValidProviderName(input.name))
      throw new AdminError(`invalid provider name "${input.name}": ${PROVIDER_NAME_RULE}`);
    if (!this.kinds.has(input.type)) {
      throw new AdminError(
        `unknown provider type "${input.type}" (known: ${[...this.kinds.keys()].join(', ')})`,
      );
    }
    const at = this.now();
    const record: ProviderRecord = {
      name: input.name,
      type: input.type,
      settings: input.settings,
      secret: input.secret?.sealed ?? null,
      secretHint: input.secret?.hint ?? null,
      createdAt: at,
      updatedAt: at,
    };
    try {
      await this.store.providers.add(record, actor);
    } catch (error) {
      if (error instanceof StoreConflictError)
        throw new AdminError(`provider "${input.name}" already exists`);
      throw error;
    }
    return record;
  }

  async addResource(input: NewResource, actor: Actor): Promise<ResourceRecord> {
    const noun = NOUN[input.type];
    if (!isValidId(input.id)) throw new AdminError(`invalid ${noun} id "${input.id}": ${ID_RULE}`);
    if (!isValidId(input.customerId))
      throw new AdminError(`invalid customer id "${input.customerId}": ${ID_RULE}`);
    const provider = await this.store.providers.get(input.provider);
    if (provider === undefined)
      throw new AdminError(`unknown provider "${input.provider}" (see "providers list")`);
    const kind = this.kinds.get(provider.type);
    if (kind === undefined || !kind.resourceTypes.includes(input.type)) {
      throw new AdminError(`provider "${input.provider}" (${provider.type}) cannot run a ${noun}`);
    }
    const ref = input.ref ?? input.id;
    const refProblem = kind.checkRef(input.type, ref);
    if (refProblem !== null) {
      throw new AdminError(
        `invalid ref "${ref}" for ${provider.type}: ${refProblem} (expected ${kind.refFormat})`,
      );
    }
    const record: ResourceRecord = {
      type: input.type,
      id: input.id,
      customerId: input.customerId,
      provider: input.provider,
      ref,
      createdAt: this.now(),
    };
    try {
      await this.store.resources.add(record, actor);
    } catch (error) {
      if (error instanceof StoreConflictError)
        throw new AdminError(`${noun} "${input.id}" already exists`);
      throw error;
    }
    return record;
  }
}
