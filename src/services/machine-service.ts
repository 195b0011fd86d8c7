import { ID_RULE, isValidId, isValidProviderName, PROVIDER_NAME_RULE } from '../domain/ids.js';
import type { ResourceType } from '../domain/power.js';
import type { ProviderType } from '../providers/provider-type.js';
import type {
  ProviderCredential,
  ProviderFactory,
  ProviderOptions,
} from '../providers/provider.js';
import type { SecretSealer } from '../secrets/secret-box.js';
import { StoreConflictError, StoreReferenceError } from '../store/errors.js';
import type { Actor, JsonObject, ProviderRecord, ResourceRecord, Store } from '../store/store.js';
import { AdminError } from '../domain/admin-error.js';

export interface NewProvider {
  readonly name: string;
  readonly type: ProviderType;
  readonly settings: JsonObject;
  /** Sealed before it is stored; only its hint is ever shown. */
  readonly credential?: ProviderCredential;
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
export class MachineService {
  constructor(
    private readonly store: Store,
    private readonly factories: ReadonlyMap<ProviderType, ProviderFactory>,
    private readonly secrets: SecretSealer,
    private readonly now: () => number = Date.now,
  ) {}

  /** Validates an operator's options with the provider type, then registers the provider. */
  async registerProvider(
    name: string,
    type: string,
    options: ProviderOptions,
    actor: Actor,
  ): Promise<ProviderRecord> {
    const factory = this.#factory(type);
    this.#checkName(name);
    const { settings, credential } = factory.configure(options);
    return this.addProvider(
      { name, type: factory.type, settings, ...(credential === undefined ? {} : { credential }) },
      actor,
    );
  }

  async addProvider(input: NewProvider, actor: Actor): Promise<ProviderRecord> {
    this.#checkName(input.name);
    this.#factory(input.type);
    if ((await this.store.providers.get(input.name)) !== undefined)
      throw new AdminError(`provider "${input.name}" already exists`);
    const at = this.now();
    const record: ProviderRecord = {
      name: input.name,
      type: input.type,
      settings: input.settings,
      secret:
        input.credential === undefined
          ? null
          : this.secrets.seal(input.name, input.credential.value),
      secretHint: input.credential?.hint ?? null,
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

  /**
   * Seals a new credential for a provider, with the current secret key: after the back-end's token
   * was replaced, or after `HEO_SECRET_KEY` changed. The instance in use is rebuilt.
   */
  async replaceCredential(name: string, token: string, actor: Actor): Promise<ProviderRecord> {
    const record = await this.store.providers.get(name);
    if (record === undefined)
      throw new AdminError(`unknown provider "${name}" (see "providers list")`);
    const credential = this.#factory(record.type).credentialOf(token);
    const secret = { sealed: this.secrets.seal(name, credential.value), hint: credential.hint };
    const at = this.now();
    if (!(await this.store.providers.replaceSecret(name, secret, at, actor)))
      throw new AdminError(`unknown provider "${name}" (see "providers list")`);
    return { ...record, secret: secret.sealed, secretHint: secret.hint, updatedAt: at };
  }

  /** Refused while machines still use the provider. */
  async removeProvider(name: string, actor: Actor): Promise<void> {
    let removed: boolean;
    try {
      removed = await this.store.providers.remove(name, actor);
    } catch (error) {
      if (error instanceof StoreReferenceError) {
        const count = await this.store.resources.countByProvider(name);
        throw new AdminError(
          `provider "${name}" still runs ${count} machine${count === 1 ? '' : 's'}: it cannot be removed while VPS or game servers use it`,
        );
      }
      throw error;
    }
    if (!removed) throw new AdminError(`unknown provider "${name}" (see "providers list")`);
  }

  #checkName(name: string): void {
    if (!isValidProviderName(name))
      throw new AdminError(`invalid provider name "${name}": ${PROVIDER_NAME_RULE}`);
  }

  #factory(type: string): ProviderFactory {
    const factory = this.factories.get(type as ProviderType);
    if (factory === undefined) {
      throw new AdminError(
        `unknown provider type "${type}" (known: ${[...this.factories.keys()].join(', ')})`,
      );
    }
    return factory;
  }

  async addResource(input: NewResource, actor: Actor): Promise<ResourceRecord> {
    const noun = NOUN[input.type];
    if (!isValidId(input.id)) throw new AdminError(`invalid ${noun} id "${input.id}": ${ID_RULE}`);
    if (!isValidId(input.customerId))
      throw new AdminError(`invalid customer id "${input.customerId}": ${ID_RULE}`);
    const provider = await this.store.providers.get(input.provider);
    if (provider === undefined)
      throw new AdminError(`unknown provider "${input.provider}" (see "providers list")`);
    const factory = this.factories.get(provider.type);
    if (factory === undefined || !factory.resourceTypes.includes(input.type)) {
      throw new AdminError(`provider "${input.provider}" (${provider.type}) cannot run a ${noun}`);
    }
    const ref = input.ref ?? input.id;
    const refProblem = factory.checkRef(input.type, ref);
    if (refProblem !== null) {
      throw new AdminError(
        `invalid ref "${ref}" for ${provider.type}: ${refProblem} (expected ${factory.refFormat})`,
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
