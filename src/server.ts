import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { type AdminAppDependencies, buildAdminApp } from './admin-app.js';
import { type App, buildApp } from './app.js';
import type { Config } from './config.js';
import { type Container, type ContainerOverrides, createContainer } from './container.js';
import { type MetricsServer, startMetricsServer } from './http/metrics-listener.js';
import { ActionReader } from './services/action-reader.js';
import { StateReader } from './services/state-reader.js';

export interface RunningServer {
  readonly url: string;
  /** Where `GET /metrics` answers, or `null` when metrics are off. */
  readonly metricsUrl: string | null;
  /** Where the admin API answers, or `null` when it is off (`HEO_ADMIN_PORT` unset). */
  readonly adminUrl: string | null;
  readonly app: App;
  readonly container: Container;
  /** Stops accepting, finishes in-flight requests, flushes the audit log and closes the store. */
  close(): Promise<void>;
}

export const appFor = (container: Container): App =>
  buildApp({
    logger: container.logger,
    caches: container.caches,
    authenticator: container.authenticator,
    limiter: container.limiter,
    readLimiter: container.readLimiter,
    reader: new ActionReader(container.store),
    states: new StateReader(container.providers),
    failures: container.failures,
    sender: container.sender,
    audit: container.audit,
    idempotency: container.idempotency,
    // Ready only while the store takes writes too: without an audit record, no power request
    // can succeed.
    checkStore: () => container.audit.probe(),
    trustProxy: container.config.trustProxy,
    publicUrl: container.config.publicUrl,
    observer: container.metrics ?? undefined,
    limits: {
      requestTimeoutMs: container.config.requestTimeoutMs,
      maxPerClient: container.config.maxConnectionsPerClient,
    },
  });

/** What the admin API is built of, from the container. */
export const adminDependenciesOf = (container: Container): AdminAppDependencies => ({
  logger: container.logger,
  adminTokens: container.adminTokens,
  keys: container.keys,
  machines: container.machines,
  providers: container.store.providers,
  registry: container.providers,
  webhooks: container.webhooks,
  logs: { audit: container.store.audit, operatorLog: container.store.operatorLog },
  failures: container.adminFailures,
  trustProxy: container.config.trustProxy,
});

/** The admin API over the container's services; it is served only on its own listener. */
export const adminAppFor = (
  container: Container,
  overrides: Partial<AdminAppDependencies> = {},
): FastifyInstance => buildAdminApp({ ...adminDependenciesOf(container), ...overrides });

export const startServer = async (
  config: Config,
  overrides: ContainerOverrides = {},
): Promise<RunningServer> => {
  const container = await createContainer(config, overrides);
  const app = appFor(container);
  let url: string;
  let metricsServer: MetricsServer | null = null;
  const admin = config.adminPort === null ? null : adminAppFor(container);
  let adminUrl: string | null = null;
  try {
    await container.caches.prepare();
    url = await app.fastify.listen({ host: config.host, port: config.port });
    if (container.metrics !== null && config.metricsPort !== null) {
      metricsServer = await startMetricsServer(container.metrics, {
        host: config.metricsHost,
        port: config.metricsPort,
        logger: container.logger,
      });
    }
    if (admin !== null && config.adminPort !== null) {
      adminUrl = await admin.listen({ host: config.adminHost, port: config.adminPort });
    }
  } catch (error) {
    await app.fastify.close();
    await admin?.close();
    await metricsServer?.close();
    await container.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url,
    metricsUrl: metricsServer?.url ?? null,
    adminUrl,
    app,
    container,
    close: () => {
      closing ??= (async () => {
        app.drain();
        // Requests in flight when the drain began answer on keep-alive connections; reap each
        // connection as soon as it falls idle instead of waiting for its keep-alive timeout.
        const reaper = setInterval(() => app.fastify.server.closeIdleConnections(), 50);
        try {
          await app.fastify.close();
        } finally {
          clearInterval(reaper);
        }
        // Admin requests in flight finish; new ones are refused with 503 meanwhile.
        await admin?.close();
        await metricsServer?.close();
        await container.close();
      })();
      return closing;
    },
  };
};

/**
 * Runs until SIGTERM or SIGINT, then shuts down gracefully; if that takes longer than
 * `shutdownTimeoutMs`, the process exits anyway.
 */
export const runServer = async (
  config: Config,
  onListening?: (server: RunningServer) => void,
): Promise<RunningServer> => {
  const server = await startServer(config);
  const { logger } = server.container;
  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err) logger.fatal({ err }, 'shutting down after an unexpected error');
    else logger.info({ signal }, 'shutting down');
    await server.close();
    logger.info('stopped');
  });
  const { config: running, store } = server.container;
  logger.info(
    {
      url: server.url,
      store: store.dialect,
      rateLimits: running.redisUrl === null ? 'memory' : 'redis',
      trustProxy: running.trustProxy,
      ...(server.metricsUrl === null ? {} : { metrics: `${server.metricsUrl}/metrics` }),
      ...(server.adminUrl === null ? {} : { admin: `${server.adminUrl}/admin/v1` }),
    },
    'heo-power listening',
  );
  onListening?.(server);
  return server;
};
