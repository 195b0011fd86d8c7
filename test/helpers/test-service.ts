import type { FastifyInstance, RouteOptions } from 'fastify';
import { type InjectOptions, inject } from 'light-my-request';
import type { App } from '../../src/app.js';
import { type Config, DEFAULTS } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import type { KeyScope } from '../../src/domain/access.js';
import type { Logger } from '../../src/logger.js';
import type { ProviderOptions } from '../../src/providers/provider.js';
import { SimulatorProvider } from '../../src/providers/simulator/simulator-provider.js';
import { adminAppFor, appFor } from '../../src/server.js';
import { KeyService } from '../../src/services/key-service.js';
import type { Actor, ResourceRef, Store } from '../../src/store/store.js';
import { type Backend, type Provisioned, SQLITE } from './backends.js';
import { captureLogs } from './log-capture.js';

export const TEST_ACTOR: Actor = { name: 'test' };

export interface TestServiceOptions {
  /** What it runs on; SQLite with in-memory limits unless told. */
  readonly backend?: Backend;
  readonly config?: Partial<Config>;
  readonly logger?: Logger;
  readonly store?: Store;
  /** Sees every route as the app registers it (an `onRoute` hook added before the app is ready). */
  readonly onRoute?: (route: RouteOptions) => void;
  /** Certificates webhook receivers are verified against (the test CA). */
  readonly webhookCa?: readonly string[];
}

export interface TestKeyOptions {
  readonly scope?: KeyScope;
  readonly resources?: readonly ResourceRef[];
  readonly expiresInMs?: number;
  readonly name?: string;
  readonly allowedIps?: readonly string[];
}

/**
 * The real service, built as `serve` builds it, on storage of its own (a fresh SQLite file in a
 * temporary folder, or a fresh PostgreSQL schema and Redis key prefix): no module is replaced.
 * HTTP goes through `inject` (no socket) unless a test listens.
 */
export class TestService {
  #admin: FastifyInstance | undefined;

  private constructor(
    readonly container: Container,
    readonly app: App,
    readonly storage: Provisioned | undefined,
  ) {}

  static async start(options: TestServiceOptions = {}): Promise<TestService> {
    const storage =
      options.store === undefined ? await (options.backend ?? SQLITE).provision() : undefined;
    const config: Config = {
      ...DEFAULTS,
      logLevel: 'silent',
      // Actions are followed only where a test asks: others count what their fakes received.
      followActions: false,
      // Webhooks are delivered only where a test asks.
      webhooksDeliver: false,
      ...storage?.config,
      ...options.config,
    };
    try {
      return await TestService.#launch(config, options, storage);
    } catch (error) {
      await storage?.cleanup();
      throw error;
    }
  }

  /**
   * Another instance on the same storage (the same database and Redis prefix), as a second
   * server behind a load balancer would be; closing it leaves the storage to this one.
   */
  sibling(
    options: Pick<TestServiceOptions, 'config' | 'logger' | 'webhookCa'> = {},
  ): Promise<TestService> {
    return TestService.#launch({ ...this.container.config, ...options.config }, options, undefined);
  }

  /** The container and app for `config`, built as `serve` builds them, ready for requests. */
  static async #launch(
    config: Config,
    options: TestServiceOptions,
    storage: Provisioned | undefined,
  ): Promise<TestService> {
    const container = await createContainer(config, {
      logger: options.logger ?? captureLogs('silent').logger,
      ...(options.store === undefined ? {} : { store: options.store }),
      ...(options.webhookCa === undefined ? {} : { webhookCa: options.webhookCa }),
    });
    const app = appFor(container);
    if (options.onRoute !== undefined) app.fastify.addHook('onRoute', options.onRoute);
    await app.fastify.ready();
    return new TestService(container, app, storage);
  }

  get fastify(): FastifyInstance {
    return this.app.fastify;
  }

  get store(): Store {
    return this.container.store;
  }

  /**
   * One request, without a socket, through the handler the server runs: the direct power path
   * first, Fastify for what it does not take.
   */
  inject(options: InjectOptions) {
    return inject(this.app.handle, options);
  }

  /** One request to the admin API (built on first use), as its own listener would take it. */
  async adminInject(options: InjectOptions) {
    this.#admin ??= adminAppFor(this.container);
    await this.#admin.ready();
    return this.#admin.inject(options);
  }

  /** Creates an admin token and returns `{ id, token }`. */
  async createAdminToken(name = 'test'): Promise<{ id: string; token: string }> {
    const { record, plaintext } = await this.container.adminTokens.create(name, TEST_ACTOR);
    return { id: record.id, token: plaintext };
  }

  async addProvider(
    name: string,
    settings: Record<string, number> = { transitionMs: 50 },
  ): Promise<void> {
    await this.container.machines.addProvider({ name, type: 'simulator', settings }, TEST_ACTOR);
  }

  /** Registers a provider the way `providers add` does: options checked, credential sealed. */
  async registerProvider(name: string, type: string, options: ProviderOptions): Promise<void> {
    await this.container.machines.registerProvider(name, type, options, TEST_ACTOR);
  }

  async addVps(id: string, customerId: string, provider = 'sim', ref?: string): Promise<void> {
    await this.container.machines.addResource(
      { type: 'vps', id, customerId, provider, ...(ref === undefined ? {} : { ref }) },
      TEST_ACTOR,
    );
  }

  async addGame(id: string, customerId: string, provider = 'sim', ref?: string): Promise<void> {
    await this.container.machines.addResource(
      { type: 'game', id, customerId, provider, ...(ref === undefined ? {} : { ref }) },
      TEST_ACTOR,
    );
  }

  /** Creates a key and returns `{ id, key }`. */
  async createKey(
    customerId: string,
    options: TestKeyOptions = {},
  ): Promise<{ id: string; key: string }> {
    const { record, plaintext } = await this.container.keys.create(
      {
        customerId,
        scope: options.scope ?? 'power',
        ...(options.resources === undefined ? {} : { resources: options.resources }),
        ...(options.expiresInMs === undefined ? {} : { expiresInMs: options.expiresInMs }),
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.allowedIps === undefined ? {} : { allowedIps: options.allowedIps }),
      },
      TEST_ACTOR,
    );
    return { id: record.id, key: plaintext };
  }

  /** A key that expired an hour ago (created with a clock set in the past). */
  async createExpiredKey(customerId: string): Promise<{ id: string; key: string }> {
    const past = new KeyService(this.store, () => Date.now() - 3_600_000);
    const { record, plaintext } = await past.create(
      { customerId, scope: 'power', expiresInMs: 60_000 },
      TEST_ACTOR,
    );
    return { id: record.id, key: plaintext };
  }

  async revokeKey(id: string): Promise<void> {
    await this.container.keys.revoke(id, TEST_ACTOR);
  }

  async simulator(name = 'sim'): Promise<SimulatorProvider> {
    const provider = await this.container.providers.get(name);
    if (!(provider instanceof SimulatorProvider)) throw new Error(`no simulator ${name}`);
    return provider;
  }

  /** Starts simulated machines directly at the provider, e.g. so that a reset is possible. */
  async powerOn(...refs: string[]): Promise<void> {
    const simulator = await this.simulator();
    for (const ref of refs) {
      await simulator.power({ resourceType: 'vps', resourceId: ref, ref }, 'start', {
        requestId: 'test',
        logger: this.container.logger,
      });
    }
  }

  /** Makes every later audit write fail, as a broken database would. */
  async breakAuditTable(): Promise<void> {
    if (this.storage === undefined) throw new Error('the test brought its own store');
    await this.storage.breakAuditTable();
  }

  async close(): Promise<void> {
    try {
      await this.#admin?.close();
      await this.fastify.close();
      await this.container.close();
    } finally {
      await this.storage?.cleanup();
    }
  }
}

/** The standard fixture: two customers, each with one VPS and one game server on a simulator. */
export const startWithCustomers = async (
  options: TestServiceOptions = {},
): Promise<TestService> => {
  const service = await TestService.start(options);
  await service.addProvider('sim');
  await service.addVps('vps_123', 'cus_a');
  await service.addGame('srv_123', 'cus_a');
  await service.addVps('vps_456', 'cus_b');
  await service.addGame('srv_456', 'cus_b');
  return service;
};
