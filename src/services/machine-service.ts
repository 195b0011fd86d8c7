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
import type {
  Actor,
  JsonObject,
  JsonValue,
  ProviderRecord,
  ResourceOutcome,
  ResourceRecord,
  Store,
} from '../store/store.js';
import { displaySettings, numberSetting, stringSetting } from '../providers/settings.js';
import { SecretError } from '../secrets/secret-error.js';
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

const unknownProvider = (name: string): AdminError =>
  new AdminError(`unknown provider "${name}" (see "providers list")`, 'not_found');

const unknownResource = (type: ResourceType, id: string): AdminError =>
  new AdminError(`unknown ${NOUN[type]} "${id}" (see "${type} list")`, 'not_found');

/** What `providers update` may change: what `providers add` takes, but the type. */
export interface ProviderUpdate extends ProviderOptions {
  /** Drop a stored CA (`--ca-file`) and `--insecure-tls`: verify with the system's CAs. */
  readonly systemCa?: boolean;
}

/** Settings that come from `--ca-file` and `--insecure-tls`, kept unless one of them is given. */
const TLS_SETTINGS = ['caPem', 'caFingerprint256', 'insecureTls'] as const;

/** A provider as listings show it: never its credential, only the masked hint. */
export interface ProviderSummary {
  readonly record: ProviderRecord;
  /** How many machines it runs. */
  readonly resources: number;
}

/** Where a machine runs, for `vps update` (and a move). */
export interface ResourcePlacement {
  readonly provider?: string;
  readonly ref?: string;
}

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
      throw new AdminError(`provider "${input.name}" already exists`, 'conflict');
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
        throw new AdminError(`provider "${input.name}" already exists`, 'conflict');
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
    if (record === undefined) throw unknownProvider(name);
    const credential = this.#factory(record.type).credentialOf(token);
    const secret = { sealed: this.secrets.seal(name, credential.value), hint: credential.hint };
    const at = this.now();
    if (!(await this.store.providers.replaceSecret(name, secret, at, actor)))
      throw unknownProvider(name);
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
          `provider "${name}" still runs ${count} machine${count === 1 ? '' : 's'}: it cannot be removed while VPS or game servers use it (move them with "vps update" or "game update", or remove them)`,
          'in_use',
        );
      }
      throw error;
    }
    if (!removed) throw unknownProvider(name);
  }

  /** One provider, with how many machines it runs. */
  async getProvider(name: string): Promise<ProviderSummary> {
    const record = await this.store.providers.get(name);
    if (record === undefined) throw unknownProvider(name);
    return { record, resources: await this.store.resources.countByProvider(name) };
  }

  /** Every provider, with how many machines each runs. */
  async listProviders(): Promise<readonly ProviderSummary[]> {
    const records = await this.store.providers.list();
    return Promise.all(
      records.map(async (record) => ({
        record,
        resources: await this.store.resources.countByProvider(record.name),
      })),
    );
  }

  /**
   * Changes what `providers add` set, but the type: the URL, the credential, the CA or
   * `--insecure-tls`, timeouts. Everything is checked again as `providers add` checks it; options
   * not given keep their stored value. Every instance uses the new settings from its next request.
   */
  async updateProvider(
    name: string,
    update: ProviderUpdate,
    actor: Actor,
  ): Promise<{ readonly record: ProviderRecord; readonly changed: readonly string[] }> {
    const record = await this.store.providers.get(name);
    if (record === undefined) throw unknownProvider(name);
    const factory = this.#factory(record.type);
    const given = (
      [
        ['url', update.url],
        ['token', update.token],
        ['ca-file', update.caFile],
        ['ca-pem', update.caPem],
        ['insecure-tls', update.insecureTls],
        ['system-ca', update.systemCa],
        ['timeout-ms', update.timeoutMs],
        ['transition-ms', update.transitionMs],
      ] as const
    ).filter(([, value]) => value !== undefined && value !== false);
    if (given.length === 0) {
      throw new AdminError(
        'nothing to change: give --url, --token, --ca-file, --insecure-tls, --system-ca, --timeout-ms or --transition-ms',
      );
    }
    const caGiven = update.caFile !== undefined || update.caPem !== undefined;
    if (update.systemCa === true && (caGiven || update.insecureTls === true))
      throw new AdminError('--system-ca excludes --ca-file and --insecure-tls');
    const stored = record.settings;
    const configured = factory.configure({
      url: update.url ?? stringSetting(stored, 'url'),
      token: update.token ?? this.#storedToken(record),
      caFile: update.caFile,
      caPem: update.caPem,
      insecureTls: update.insecureTls,
      timeoutMs: update.timeoutMs ?? numberSetting(stored, 'timeoutMs'),
      transitionMs: update.transitionMs ?? numberSetting(stored, 'transitionMs'),
    });
    const tlsGiven = caGiven || update.insecureTls === true || update.systemCa === true;
    const kept: Record<string, JsonValue> = {};
    for (const name of tlsGiven ? [] : TLS_SETTINGS) {
      const value = stored[name];
      if (value !== undefined) kept[name] = value;
    }
    const settings: JsonObject = { ...configured.settings, ...kept };
    const secret =
      update.token === undefined || configured.credential === undefined
        ? undefined
        : {
            sealed: this.secrets.seal(name, configured.credential.value),
            hint: configured.credential.hint,
          };
    const names = new Set([...Object.keys(stored), ...Object.keys(settings)]);
    const changed = [...names]
      .filter((n) => n !== 'caPem' && JSON.stringify(stored[n]) !== JSON.stringify(settings[n]))
      .sort();
    if (secret !== undefined) changed.push('credential');
    const at = this.now();
    const detail: JsonObject = {
      changed,
      settings: displaySettings(settings),
      ...(secret === undefined ? {} : { credential: secret.hint }),
    };
    if (
      !(await this.store.providers.update(
        name,
        { settings, ...(secret === undefined ? {} : { secret }) },
        at,
        actor,
        detail,
      ))
    )
      throw unknownProvider(name);
    return {
      record: {
        ...record,
        settings,
        ...(secret === undefined ? {} : { secret: secret.sealed, secretHint: secret.hint }),
        updatedAt: at,
      },
      changed,
    };
  }

  /** The stored credential in the clear, for checking the other settings again with it. */
  #storedToken(record: ProviderRecord): string | undefined {
    if (record.secret === null) return undefined;
    try {
      return this.secrets.open(record.name, record.secret);
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      throw new AdminError(`${error.message}; or give the credential again with --token`);
    }
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
    if (provider === undefined) throw unknownProvider(input.provider);
    const ref = input.ref ?? input.id;
    this.#checkRef(provider, input.type, ref);
    const at = this.now();
    const record: ResourceRecord = {
      type: input.type,
      id: input.id,
      customerId: input.customerId,
      provider: input.provider,
      ref,
      createdAt: at,
      assignedAt: at,
    };
    try {
      await this.store.resources.add(record, actor);
    } catch (error) {
      if (error instanceof StoreConflictError)
        throw new AdminError(`${noun} "${input.id}" already exists`, 'conflict');
      throw error;
    }
    return record;
  }

  async getResource(type: ResourceType, id: string): Promise<ResourceRecord> {
    const record = await this.store.resources.get(type, id);
    if (record === undefined) throw unknownResource(type, id);
    return record;
  }

  listResources(filter: {
    readonly type?: ResourceType;
    readonly customerId?: string;
  }): Promise<readonly ResourceRecord[]> {
    return this.store.resources.list(filter);
  }

  /**
   * Gives a machine to another customer, and optionally a new place (`--provider`, `--ref`), in
   * one change: from the next request on, on every instance, it is the new customer's (their
   * all-machines keys reach it) and the old customer's keys get the 403 of an unknown id. Keys
   * of the old customer that named it no longer do.
   */
  async moveResource(
    type: ResourceType,
    id: string,
    customerId: string,
    placement: ResourcePlacement,
    actor: Actor,
  ): Promise<ResourceOutcome> {
    if (!isValidId(customerId))
      throw new AdminError(`invalid customer id "${customerId}": ${ID_RULE}`);
    const record = await this.getResource(type, id);
    if (record.customerId === customerId) {
      throw new AdminError(
        `${NOUN[type]} "${id}" already belongs to customer "${customerId}"${placement.provider === undefined && placement.ref === undefined ? '' : ` (to change only where it runs: "${type} update")`}`,
      );
    }
    await this.#checkPlacement(record, placement);
    return this.#update(record, { customerId, ...placement }, actor);
  }

  /** Where a machine runs (its provider, its ref); it stays with its customer. */
  async updateResource(
    type: ResourceType,
    id: string,
    placement: ResourcePlacement,
    actor: Actor,
  ): Promise<ResourceOutcome> {
    if (placement.provider === undefined && placement.ref === undefined)
      throw new AdminError('nothing to change: give --provider and/or --ref');
    const record = await this.getResource(type, id);
    await this.#checkPlacement(record, placement);
    return this.#update(record, placement, actor);
  }

  /**
   * Removes a machine: from the next request on, on every instance, every key gets the 403 of an
   * unknown id for it, and keys that named it no longer do.
   */
  async removeResource(type: ResourceType, id: string, actor: Actor): Promise<ResourceOutcome> {
    const outcome = await this.store.resources.remove(type, id, actor);
    if (outcome === undefined) throw unknownResource(type, id);
    return outcome;
  }

  async #update(
    record: ResourceRecord,
    change: { readonly customerId?: string } & ResourcePlacement,
    actor: Actor,
  ): Promise<ResourceOutcome> {
    const outcome = await this.store.resources.update(record, change, this.now(), actor);
    if (outcome === undefined) throw unknownResource(record.type, record.id);
    if (outcome === 'changed') {
      throw new AdminError(
        `${NOUN[record.type]} "${record.id}" was changed by someone else meanwhile: look at it again and retry`,
        'conflict',
      );
    }
    return outcome;
  }

  /** The provider must exist and run this kind of machine, and the ref must suit it. */
  async #checkPlacement(record: ResourceRecord, placement: ResourcePlacement): Promise<void> {
    const name = placement.provider ?? record.provider;
    const ref = placement.ref ?? record.ref;
    const provider = await this.store.providers.get(name);
    if (provider === undefined) throw unknownProvider(name);
    this.#checkRef(provider, record.type, ref, placement.ref === undefined);
  }

  #checkRef(provider: ProviderRecord, type: ResourceType, ref: string, kept = false): void {
    const noun = NOUN[type];
    const factory = this.factories.get(provider.type);
    if (factory === undefined || !factory.resourceTypes.includes(type)) {
      throw new AdminError(`provider "${provider.name}" (${provider.type}) cannot run a ${noun}`);
    }
    const refProblem = factory.checkRef(type, ref);
    if (refProblem !== null) {
      throw new AdminError(
        `invalid ref "${ref}" for ${provider.type}: ${refProblem} (expected ${factory.refFormat}${kept ? '; give the new one with --ref' : ''})`,
      );
    }
  }
}
