import { dirname, join } from 'node:path';
import { AuditPruner } from './audit/audit-pruner.js';
import { AuditWriter } from './audit/audit-writer.js';
import { Authenticator } from './auth/authenticator.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics/metrics.js';
import { PROVIDER_FACTORIES } from './providers/factories.js';
import type { ProviderType } from './providers/provider-type.js';
import type { ProviderFactory } from './providers/provider.js';
import { ProviderRegistry } from './providers/registry.js';
import { KeySource } from './secrets/key-source.js';
import { SecretBox, type SecretSealer } from './secrets/secret-box.js';
import { MemoryRateLimiter } from './ratelimit/memory-rate-limiter.js';
import type { RateLimiter, RateLimitPolicy } from './ratelimit/rate-limiter.js';
import { FailureBudget } from './auth/failure-budget.js';
import { RedisRateLimiter } from './ratelimit/redis-rate-limiter.js';
import { AccessCache } from './services/access-cache.js';
import { MachineService } from './services/machine-service.js';
import { KeyService } from './services/key-service.js';
import { AdminTokenService } from './services/admin-token-service.js';
import { ActionSender } from './services/action-sender.js';
import { ActionFollower } from './services/action-follower.js';
import { PollBudget } from './services/poll-budget.js';
import { IdempotencyGuard } from './services/idempotency-guard.js';
import { IdempotencyPruner } from './services/idempotency-pruner.js';
import { WebhookClient } from './services/webhook-client.js';
import { WebhookDeliverer } from './services/webhook-deliverer.js';
import { WebhookService } from './services/webhook-service.js';
import { SchemaOutdatedError } from './store/errors.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

/** Everything the server and the CLI are made of, wired once. */
export interface Container {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly factories: ReadonlyMap<ProviderType, ProviderFactory>;
  readonly providers: ProviderRegistry;
  /** Seals and opens provider credentials. */
  readonly secrets: SecretSealer;
  /** Keys and machines as the request path reads them. */
  readonly caches: AccessCache;
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
  /** Reads per key (actions, state, machines), counted apart from power actions. */
  readonly readLimiter: RateLimiter;
  /** Failed authentications per client address; `null` when `HEO_AUTH_FAILURES_PER_MINUTE=0`. */
  readonly failures: FailureBudget | null;
  /**
   * Failed admin token checks per client address, apart from `failures`; `null` when the admin API
   * is off (`HEO_ADMIN_PORT` unset) or `HEO_ADMIN_AUTH_FAILURES_PER_MINUTE=0`.
   */
  readonly adminFailures: FailureBudget | null;
  readonly sender: ActionSender;
  readonly audit: AuditWriter;
  /** `Idempotency-Key`s of power requests, kept in the store for `HEO_IDEMPOTENCY_TTL`. */
  readonly idempotency: IdempotencyGuard;
  readonly machines: MachineService;
  readonly keys: KeyService;
  /** Tokens of the admin HTTP API. */
  readonly adminTokens: AdminTokenService;
  /** The Prometheus metrics, when `HEO_METRICS_PORT` turns them on; otherwise nothing is counted. */
  readonly metrics: Metrics | null;
  /** Prunes audit records past `HEO_AUDIT_RETENTION_DAYS`; `null` when unset or not serving. */
  readonly pruner: AuditPruner | null;
  /** Follows accepted actions to their end; `null` when `HEO_FOLLOW_ACTIONS=false` or not serving. */
  readonly follower: ActionFollower | null;
  /** Prunes `Idempotency-Key`s past their window; `null` when not serving. */
  readonly keyPruner: IdempotencyPruner | null;
  /** Webhook endpoints as operators manage them. */
  readonly webhooks: WebhookService;
  /** Delivers queued webhook events; `null` when `HEO_WEBHOOKS_DELIVER=false` or not serving. */
  readonly deliverer: WebhookDeliverer | null;
  /** Flushes pending writes and releases every resource, store last. */
  close(): Promise<void>;
}

export interface ContainerOverrides {
  readonly logger?: Logger;
  readonly store?: Store;
  readonly limiter?: RateLimiter;
  /**
   * `false` for operator commands: they answer no API request, so they need neither the shared
   * rate limiter (Redis) nor a connection listening for configuration changes. Default `true`.
   */
  readonly serving?: boolean;
  /**
   * Certificates webhook receivers are verified against instead of Node's CAs: for tests, which
   * cannot set `NODE_EXTRA_CA_CERTS` once their process runs.
   */
  readonly webhookCa?: readonly string[];
}

/**
 * The embedded SQLite store migrates itself; a shared store must be migrated explicitly
 * (`heo-power migrate`) so that instances never race each other over the schema.
 */
export const prepareStore = async (store: Store, logger: Logger): Promise<void> => {
  if (store.dialect === 'sqlite') {
    const applied = await store.migrate();
    if (applied.length > 0) logger.info({ applied, location: store.location }, 'database migrated');
    return;
  }
  const status = await store.migrationStatus();
  if (status.pending.length > 0) {
    throw new SchemaOutdatedError(
      `database schema is at version ${status.current}, this build needs ${status.latest}: run "heo-power migrate" first`,
    );
  }
};

/** The generated key of the embedded default lives next to its SQLite file. */
export const KEY_FILE_NAME = 'heo-power.key';

export const keyFileOf = (store: Store): string | null =>
  store.dialect === 'sqlite' ? join(dirname(store.location), KEY_FILE_NAME) : null;

export const createContainer = async (
  config: Config,
  overrides: ContainerOverrides = {},
): Promise<Container> => {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const serving = overrides.serving ?? true;
  const store =
    overrides.store ??
    (await openStore({
      databaseUrl: config.databaseUrl,
      poolSize: config.storePoolSize,
      timeoutMs: config.storeTimeoutMs,
      logger,
      watchChanges: serving,
      cacheTrustMs: config.cacheTrustMs,
      auditDurability: config.auditDurability,
    }));
  try {
    await prepareStore(store, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  if (serving) store.enterServing?.();
  const factories = PROVIDER_FACTORIES;
  const secrets = new SecretBox(
    new KeySource({ configured: config.secretKey, keyFile: keyFileOf(store), logger }),
  );
  const providers = new ProviderRegistry(store.providers, factories, {
    logger,
    defaultTimeoutMs: config.providerTimeoutMs,
    secrets,
  });
  const caches = new AccessCache(store, providers);
  const authenticator = new Authenticator({ caches, keys: store.keys, logger });
  // Counts shared by every instance through Redis when there is one, else in this process.
  const counter = (policy: RateLimitPolicy, prefix: string): Promise<RateLimiter> | RateLimiter =>
    serving && config.redisUrl !== null
      ? RedisRateLimiter.connect({
          url: config.redisUrl,
          prefix,
          policy,
          timeoutMs: config.redisTimeoutMs,
          logger,
        })
      : new MemoryRateLimiter(policy);
  let limiter: RateLimiter;
  let readLimiter: RateLimiter;
  let failures: FailureBudget | null = null;
  let followCalls: RateLimiter | null = null;
  let adminFailures: FailureBudget | null = null;
  try {
    limiter =
      overrides.limiter ??
      (await counter({ limit: config.rateLimitPerMinute, windowMs: 60_000 }, config.redisPrefix));
    readLimiter = await counter(
      { limit: config.readRateLimitPerMinute, windowMs: 60_000 },
      `${config.redisPrefix}reads:`,
    );
    if (config.authFailuresPerMinute > 0) {
      failures = new FailureBudget({
        counter: await counter(
          { limit: config.authFailuresPerMinute, windowMs: 60_000 },
          `${config.redisPrefix}auth-failures:`,
        ),
        log: logger,
        summaryIntervalMs: config.authFailureLogIntervalMs,
      });
    }
    if (serving && config.followActions) {
      followCalls = await counter(
        { limit: config.followCallsPerMinute, windowMs: 60_000 },
        `${config.redisPrefix}follow-calls:`,
      );
    }
    if (config.adminPort !== null && config.adminAuthFailuresPerMinute > 0) {
      adminFailures = new FailureBudget({
        counter: await counter(
          { limit: config.adminAuthFailuresPerMinute, windowMs: 60_000 },
          `${config.redisPrefix}admin-auth-failures:`,
        ),
        log: logger,
        summaryIntervalMs: config.authFailureLogIntervalMs,
        label: 'admin authentication failures',
      });
    }
  } catch (error) {
    await failures?.close();
    await followCalls?.close();
    await store.close();
    throw error;
  }
  const audit = new AuditWriter(store.audit, logger, config.storeTimeoutMs);
  // Loaded only when on: operator commands and metric-less servers never pay for prom-client.
  const metrics =
    config.metricsPort === null ? null : new (await import('./metrics/metrics.js')).Metrics();
  // Servers prune; operator commands prune only when asked (`audit prune`).
  const pruner =
    serving && config.auditRetentionDays !== null
      ? new AuditPruner({ audit: store.audit, retentionDays: config.auditRetentionDays, logger })
      : null;
  pruner?.start();
  const follower =
    followCalls === null
      ? null
      : new ActionFollower({
          actions: store.actions,
          resources: store.resources,
          providers,
          budget: new PollBudget({ perMinute: followCalls, concurrency: config.followConcurrency }),
          logger,
          ...(metrics === null ? {} : { observer: metrics }),
          leaseMs: config.followLeaseMs,
          schedule: { firstMs: config.followPollMs, maxMs: config.followPollMaxMs },
          deadlineMs: config.followDeadlineMs,
        });
  follower?.start();
  const idempotency = new IdempotencyGuard(store.idempotency, {
    ttlMs: config.idempotencyTtlMs,
    // Longer than any request takes from its claim to its audit record: the claim, the
    // back-end call (its time-out), the audit record (its time-out), and a margin.
    leaseMs: config.providerTimeoutMs + 2 * config.storeTimeoutMs + 1_000,
    storeTimeoutMs: config.storeTimeoutMs,
  });
  const keyPruner = serving ? new IdempotencyPruner({ store: store.idempotency, logger }) : null;
  keyPruner?.start();
  const webhookClient = new WebhookClient({
    timeoutMs: config.webhooksTimeoutMs,
    allowPrivateAddresses: config.webhooksAllowPrivateAddresses,
    ...(overrides.webhookCa === undefined ? {} : { ca: overrides.webhookCa }),
  });
  metrics?.watchWebhookQueue(() => store.webhooks.stats());
  const deliverer =
    serving && config.webhooksDeliver
      ? new WebhookDeliverer({
          store: store.webhooks,
          secrets,
          client: webhookClient,
          logger,
          ...(metrics === null ? {} : { observer: metrics }),
          leaseMs: config.webhooksLeaseMs,
          pollMs: config.webhooksPollMs,
          concurrency: config.webhooksConcurrency,
          retryScheduleMs: config.webhooksRetryScheduleMs,
          disableAfterMs: config.webhooksDisableAfterMs,
        })
      : null;
  deliverer?.start();

  return {
    config,
    logger,
    store,
    factories,
    providers,
    secrets,
    caches,
    authenticator,
    limiter,
    readLimiter,
    failures,
    adminFailures,
    sender: new ActionSender(providers, metrics ?? undefined),
    audit,
    idempotency,
    machines: new MachineService(store, factories, secrets),
    keys: new KeyService(store),
    adminTokens: new AdminTokenService(store),
    metrics,
    pruner,
    follower,
    keyPruner,
    webhooks: new WebhookService(store, secrets, webhookClient),
    deliverer,
    close: async () => {
      await pruner?.close();
      await keyPruner?.close();
      await follower?.close();
      await deliverer?.close();
      await webhookClient.close();
      await followCalls?.close();
      await audit.flush();
      await authenticator.close();
      await limiter.close();
      await readLimiter.close();
      await failures?.close();
      await adminFailures?.close();
      await providers.close();
      await store.close();
    },
  };
};
