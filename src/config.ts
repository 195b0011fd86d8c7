import { isIP } from 'node:net';
import { parseDuration } from './domain/duration.js';
import { SECRET_KEY_RULE, SecretKey } from './secrets/secret-key.js';
import type { AuditDurability } from './store/sqlite/open-sqlite.js';

/**
 * The only reader of `process.env`. Every setting is validated once, at start, and every problem
 * is reported in one error.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/**
 * Which peers may tell the client's address in `X-Forwarded-For`: nobody (`false`), every peer
 * (`true`), the last N proxies (a hop count), or the listed proxy addresses and networks.
 */
export type TrustProxy = boolean | number | readonly string[];
const AUDIT_DURABILITIES: readonly AuditDurability[] = ['process-crash', 'power-loss'];

export interface Config {
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly rateLimitPerMinute: number;
  /** `HEO_READ_RATE_LIMIT_PER_MINUTE`: reads per key and minute, counted apart from power actions. */
  readonly readRateLimitPerMinute: number;
  /** Failed authentications a client address may make per minute; `0` turns the budget off. */
  readonly authFailuresPerMinute: number;
  /** How often failed authentications are logged, one line per address. */
  readonly authFailureLogIntervalMs: number;
  /**
   * Failed admin token checks a client address may make per minute on the admin listener, counted
   * apart from the public API's; `0` turns this budget off.
   */
  readonly adminAuthFailuresPerMinute: number;
  readonly providerTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** PostgreSQL: most pooled connections per instance. */
  readonly storePoolSize: number;
  /** PostgreSQL: bound of connecting and of each store operation. */
  readonly storeTimeoutMs: number;
  /**
   * PostgreSQL: how long an instance trusts its caches after its change-notification connection
   * last proved alive (a heartbeat it sent itself came back).
   */
  readonly cacheTrustMs: number;
  /** `null`: rate limits are counted in this process only. */
  readonly redisUrl: string | null;
  readonly redisPrefix: string;
  /** Bound of connecting to Redis and of each Redis command. */
  readonly redisTimeoutMs: number;
  readonly trustProxy: TrustProxy;
  /** `HEO_SECRET_KEY`: seals provider credentials; `null` lets the embedded default make one. */
  readonly secretKey: SecretKey | null;
  /** Port of the Prometheus metrics listener; `null` (the default) turns metrics off. */
  readonly metricsPort: number | null;
  readonly metricsHost: string;
  /** Port of the admin HTTP API's own listener; `null` (the default) turns the admin API off. */
  readonly adminPort: number | null;
  readonly adminHost: string;
  /** What an audit record must survive before its reply leaves (SQLite; PostgreSQL always fsyncs). */
  readonly auditDurability: AuditDurability;
  /** Longest a client may take to send a whole request, headers and body: past it, 408. */
  readonly requestTimeoutMs: number;
  /** Most connections open at once from one client address (as the socket sees it); 0: no cap. */
  readonly maxConnectionsPerClient: number;
  /**
   * `HEO_PUBLIC_URL`: the base URL clients reach the API at, as the OpenAPI document's `servers`
   * names it (no trailing slash); `null`: the origin of the request for the document.
   */
  readonly publicUrl: string | null;
  /**
   * `HEO_AUDIT_RETENTION_DAYS`: power audit records older than this many days are pruned in the
   * background; `null` (the default) keeps every record.
   */
  readonly auditRetentionDays: number | null;
  /** `HEO_FOLLOW_ACTIONS`: whether this instance follows accepted actions to their end. */
  readonly followActions: boolean;
  /** How long an instance holds an action it looks at; another takes it over after that. */
  readonly followLeaseMs: number;
  /** The first look at an action, this long after its request; later looks back off from it. */
  readonly followPollMs: number;
  /** Longest wait between two looks at one action. */
  readonly followPollMaxMs: number;
  /** One deadline for every back-end and action; `null`: each back-end's own (README). */
  readonly followDeadlineMs: number | null;
  /** Calls the follower makes to one provider per minute, shared by every instance via Redis. */
  readonly followCallsPerMinute: number;
  /** Calls to one provider the follower of one instance has in flight at most. */
  readonly followConcurrency: number;
  /** `HEO_IDEMPOTENCY_TTL`: how long an `Idempotency-Key` is remembered after its first request. */
  readonly idempotencyTtlMs: number;
  /** `HEO_WEBHOOKS_DELIVER`: whether this instance delivers queued webhook events. */
  readonly webhooksDeliver: boolean;
  /** `HEO_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`: lets webhooks go to loopback and private addresses. */
  readonly webhooksAllowPrivateAddresses: boolean;
  /** Time limit of one delivery attempt, connecting to the end of the answer's headers. */
  readonly webhooksTimeoutMs: number;
  /** How long an instance holds a delivery it attempts; another takes it over after that. */
  readonly webhooksLeaseMs: number;
  /** How often an instance looks for due deliveries. */
  readonly webhooksPollMs: number;
  /** Attempts one instance has in flight at most. */
  readonly webhooksConcurrency: number;
  /** Waits before each retry, after the first attempt; its length is the number of retries. */
  readonly webhooksRetryScheduleMs: readonly number[];
  /** An endpoint whose every attempt failed for this long is disabled. */
  readonly webhooksDisableAfterMs: number;
}

export const DEFAULTS: Config = Object.freeze({
  databaseUrl: './data/heo-power.db',
  host: '127.0.0.1',
  port: 8080,
  logLevel: 'info',
  rateLimitPerMinute: 60,
  readRateLimitPerMinute: 600,
  authFailuresPerMinute: 600,
  authFailureLogIntervalMs: 60_000,
  adminAuthFailuresPerMinute: 30,
  providerTimeoutMs: 10_000,
  shutdownTimeoutMs: 10_000,
  storePoolSize: 10,
  storeTimeoutMs: 5_000,
  cacheTrustMs: 2_000,
  redisUrl: null,
  redisPrefix: 'heo-power:',
  redisTimeoutMs: 500,
  trustProxy: false,
  secretKey: null,
  metricsPort: null,
  metricsHost: '127.0.0.1',
  adminPort: null,
  adminHost: '127.0.0.1',
  auditDurability: 'process-crash',
  requestTimeoutMs: 10_000,
  maxConnectionsPerClient: 128,
  publicUrl: null,
  auditRetentionDays: null,
  followActions: true,
  followLeaseMs: 30_000,
  followPollMs: 1_000,
  followPollMaxMs: 15_000,
  followDeadlineMs: null,
  followCallsPerMinute: 300,
  followConcurrency: 4,
  idempotencyTtlMs: 24 * 3_600_000,
  webhooksDeliver: true,
  webhooksAllowPrivateAddresses: false,
  webhooksTimeoutMs: 10_000,
  webhooksLeaseMs: 60_000,
  webhooksPollMs: 1_000,
  webhooksConcurrency: 8,
  // Standard Webhooks' reference schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (~27.6 h).
  webhooksRetryScheduleMs: Object.freeze([
    5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
  ]),
  webhooksDisableAfterMs: 5 * 86_400_000,
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const integer = (
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
};

const optionalPort = (env: Env, name: string, problems: string[]): number | null => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return null;
  return integer(env, name, 0, 0, 65_535, problems);
};

const optionalInteger = (
  env: Env,
  name: string,
  min: number,
  max: number,
  problems: string[],
): number | null => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return null;
  const value = integer(env, name, -1, min, max, problems);
  return value === -1 ? null : value;
};

const flag = (env: Env, name: string, fallback: boolean, problems: string[]): boolean => {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  problems.push(`${name} must be true or false, got "${env[name]}"`);
  return fallback;
};

const text = (env: Env, name: string, fallback: string): string => {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? fallback : raw;
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `250ms`, `5s`, `30m`, `2h`, `5d`: milliseconds, or `null` when not of that shape. */
const durationMs = (text: string): number | null => {
  const match = /^([0-9]{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) return null;
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? ''] ?? 0);
};

const duration = (
  env: Env,
  name: string,
  fallback: number,
  min: number,
  problems: string[],
): number => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = durationMs(raw);
  if (value === null || value < min) {
    problems.push(
      `${name} must be a duration of at least ${min} ms, e.g. 5d or 12h (got "${raw}")`,
    );
    return fallback;
  }
  return value;
};

/** A comma-separated list of durations, e.g. `5s,5m,30m,2h,5h,10h,10h`. */
const retrySchedule = (env: Env, problems: string[]): readonly number[] => {
  const raw = env.HEO_WEBHOOKS_RETRY_SCHEDULE?.trim();
  if (raw === undefined || raw === '') return DEFAULTS.webhooksRetryScheduleMs;
  const waits = raw.split(',').map(durationMs);
  if (waits.length > 50 || waits.some((w) => w === null || w < 10 || w > 7 * 86_400_000)) {
    problems.push(
      `HEO_WEBHOOKS_RETRY_SCHEDULE must be up to 50 comma-separated durations from 10ms to 7d, e.g. 5s,5m,30m,2h,5h,10h,10h (got "${raw}")`,
    );
    return DEFAULTS.webhooksRetryScheduleMs;
  }
  return Object.freeze(waits as number[]);
};

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A SQLite path (optionally `file:`/`sqlite:`) or a `postgres://` URL. Never echoes a URL. */
const databaseUrl = (env: Env, problems: string[]): string => {
  const value = text(env, 'DATABASE_URL', DEFAULTS.databaseUrl);
  if (/^postgres(ql)?:\/\//i.test(value)) {
    if (!hasHost(value)) problems.push('DATABASE_URL is not a valid postgres:// URL with a host');
  } else if (URL_SCHEME.test(value) && !/^(file|sqlite):/i.test(value)) {
    problems.push(
      'DATABASE_URL must be a SQLite file path (file: and sqlite: allowed) or a postgres:// URL',
    );
  }
  return value;
};

const hasHost = (value: string): boolean => {
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
};

const redisUrl = (env: Env, problems: string[]): string | null => {
  const value = env.REDIS_URL?.trim();
  if (value === undefined || value === '') return null;
  if (!/^rediss?:\/\//i.test(value) || !hasHost(value)) {
    problems.push('REDIS_URL must be a redis:// or rediss:// URL with a host');
  }
  return value;
};

const redisPrefix = (env: Env, problems: string[]): string => {
  const raw = env.HEO_REDIS_PREFIX;
  if (raw === undefined || raw === '') return DEFAULTS.redisPrefix;
  if (!/^[!-~]{1,100}$/.test(raw)) {
    problems.push(
      `HEO_REDIS_PREFIX must be 1 to 100 printable characters without spaces (got "${raw}")`,
    );
    return DEFAULTS.redisPrefix;
  }
  return raw;
};

const NAMED_NETWORKS = ['loopback', 'linklocal', 'uniquelocal'];

const isAddressOrNetwork = (entry: string): boolean => {
  if (NAMED_NETWORKS.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^[0-9]{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
};

const trustProxy = (env: Env, problems: string[]): TrustProxy => {
  const raw = env.HEO_TRUST_PROXY?.trim().toLowerCase();
  if (raw === undefined || raw === '' || ['false', 'off', 'no', '0'].includes(raw)) return false;
  if (['true', 'on', 'yes'].includes(raw)) return true;
  if (/^[0-9]+$/.test(raw)) {
    const hops = Number(raw);
    if (hops <= 100) return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const invalid = entries.filter((entry) => !isAddressOrNetwork(entry));
  if (invalid.length > 0) {
    problems.push(
      `HEO_TRUST_PROXY must be false, true, a hop count from 1 to 100, or a comma-separated list of proxy addresses and networks (CIDR, loopback, linklocal, uniquelocal) (not understood: "${invalid.join('", "')}")`,
    );
    return false;
  }
  return Object.freeze(entries);
};

/** An `http(s)://` base URL without credentials, query or fragment; kept without a trailing slash. */
const publicUrl = (env: Env, problems: string[]): string | null => {
  const raw = env.HEO_PUBLIC_URL?.trim();
  if (raw === undefined || raw === '') return null;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    !['http:', 'https:'].includes(url.protocol) ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    raw.includes('?') ||
    raw.includes('#')
  ) {
    problems.push(
      `HEO_PUBLIC_URL must be an http:// or https:// URL without credentials, query or fragment, e.g. https://power.example.net (got "${raw.replace(/\/\/[^/@]*@/, '//…@')}")`,
    );
    return null;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
};

/** A secret: a problem names the variable and the expected shape, never the value. */
const secretKeyOf = (env: Env, problems: string[]): SecretKey | null => {
  const raw = env.HEO_SECRET_KEY?.trim();
  if (raw === undefined || raw === '') return null;
  const key = SecretKey.parse(raw);
  if (key === null) {
    problems.push(
      `HEO_SECRET_KEY must be ${SECRET_KEY_RULE}, e.g. the output of "openssl rand -base64 32"`,
    );
  }
  return key;
};

/** At most a week: a key is for retrying one request, not for a record of it (the audit log). */
const MAX_IDEMPOTENCY_TTL_MS = 7 * 86_400_000;

const idempotencyTtl = (env: Env, problems: string[]): number => {
  const raw = env.HEO_IDEMPOTENCY_TTL?.trim();
  if (raw === undefined || raw === '') return DEFAULTS.idempotencyTtlMs;
  const ms = parseDuration(raw);
  if (ms === null || ms > MAX_IDEMPOTENCY_TTL_MS) {
    problems.push(
      `HEO_IDEMPOTENCY_TTL must be a duration from 1s to 7d such as 24h, 90m or 30s (got "${raw}")`,
    );
    return DEFAULTS.idempotencyTtlMs;
  }
  return ms;
};

export const loadConfig = (env: Env = process.env): Config => {
  const problems: string[] = [];
  const logLevel = text(env, 'LOG_LEVEL', DEFAULTS.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const durability = text(env, 'HEO_AUDIT_DURABILITY', DEFAULTS.auditDurability);
  if (!AUDIT_DURABILITIES.includes(durability as AuditDurability)) {
    problems.push(
      `HEO_AUDIT_DURABILITY must be one of ${AUDIT_DURABILITIES.join(', ')} (got "${durability}")`,
    );
  }
  const config: Config = {
    databaseUrl: databaseUrl(env, problems),
    host: text(env, 'HOST', DEFAULTS.host),
    port: integer(env, 'PORT', DEFAULTS.port, 0, 65_535, problems),
    logLevel: LOG_LEVELS.includes(logLevel as LogLevel)
      ? (logLevel as LogLevel)
      : DEFAULTS.logLevel,
    rateLimitPerMinute: integer(
      env,
      'HEO_RATE_LIMIT_PER_MINUTE',
      DEFAULTS.rateLimitPerMinute,
      1,
      1_000_000,
      problems,
    ),
    readRateLimitPerMinute: integer(
      env,
      'HEO_READ_RATE_LIMIT_PER_MINUTE',
      DEFAULTS.readRateLimitPerMinute,
      1,
      1_000_000,
      problems,
    ),
    authFailuresPerMinute: integer(
      env,
      'HEO_AUTH_FAILURES_PER_MINUTE',
      DEFAULTS.authFailuresPerMinute,
      0,
      1_000_000,
      problems,
    ),
    authFailureLogIntervalMs: integer(
      env,
      'HEO_AUTH_FAILURE_LOG_INTERVAL_MS',
      DEFAULTS.authFailureLogIntervalMs,
      1_000,
      86_400_000,
      problems,
    ),
    adminAuthFailuresPerMinute: integer(
      env,
      'HEO_ADMIN_AUTH_FAILURES_PER_MINUTE',
      DEFAULTS.adminAuthFailuresPerMinute,
      0,
      1_000_000,
      problems,
    ),
    providerTimeoutMs: integer(
      env,
      'HEO_PROVIDER_TIMEOUT_MS',
      DEFAULTS.providerTimeoutMs,
      100,
      300_000,
      problems,
    ),
    shutdownTimeoutMs: integer(
      env,
      'HEO_SHUTDOWN_TIMEOUT_MS',
      DEFAULTS.shutdownTimeoutMs,
      100,
      600_000,
      problems,
    ),
    storePoolSize: integer(env, 'HEO_STORE_POOL_SIZE', DEFAULTS.storePoolSize, 1, 1_000, problems),
    storeTimeoutMs: integer(
      env,
      'HEO_STORE_TIMEOUT_MS',
      DEFAULTS.storeTimeoutMs,
      100,
      300_000,
      problems,
    ),
    cacheTrustMs: integer(env, 'HEO_CACHE_TRUST_MS', DEFAULTS.cacheTrustMs, 100, 600_000, problems),
    redisUrl: redisUrl(env, problems),
    redisPrefix: redisPrefix(env, problems),
    redisTimeoutMs: integer(
      env,
      'HEO_REDIS_TIMEOUT_MS',
      DEFAULTS.redisTimeoutMs,
      10,
      60_000,
      problems,
    ),
    trustProxy: trustProxy(env, problems),
    secretKey: secretKeyOf(env, problems),
    metricsPort: optionalPort(env, 'HEO_METRICS_PORT', problems),
    metricsHost: text(env, 'HEO_METRICS_HOST', DEFAULTS.metricsHost),
    adminPort: optionalPort(env, 'HEO_ADMIN_PORT', problems),
    adminHost: text(env, 'HEO_ADMIN_HOST', DEFAULTS.adminHost),
    auditDurability: AUDIT_DURABILITIES.includes(durability as AuditDurability)
      ? (durability as AuditDurability)
      : DEFAULTS.auditDurability,
    requestTimeoutMs: integer(
      env,
      'HEO_REQUEST_TIMEOUT_MS',
      DEFAULTS.requestTimeoutMs,
      100,
      600_000,
      problems,
    ),
    maxConnectionsPerClient: integer(
      env,
      'HEO_MAX_CONNECTIONS_PER_CLIENT',
      DEFAULTS.maxConnectionsPerClient,
      0,
      1_000_000,
      problems,
    ),
    publicUrl: publicUrl(env, problems),
    auditRetentionDays: optionalInteger(env, 'HEO_AUDIT_RETENTION_DAYS', 1, 36_500, problems),
    followActions: flag(env, 'HEO_FOLLOW_ACTIONS', DEFAULTS.followActions, problems),
    followLeaseMs: integer(
      env,
      'HEO_FOLLOW_LEASE_MS',
      DEFAULTS.followLeaseMs,
      100,
      3_600_000,
      problems,
    ),
    followPollMs: integer(env, 'HEO_FOLLOW_POLL_MS', DEFAULTS.followPollMs, 10, 600_000, problems),
    followPollMaxMs: integer(
      env,
      'HEO_FOLLOW_POLL_MAX_MS',
      DEFAULTS.followPollMaxMs,
      10,
      3_600_000,
      problems,
    ),
    followDeadlineMs: optionalInteger(env, 'HEO_FOLLOW_DEADLINE_MS', 100, 86_400_000, problems),
    followCallsPerMinute: integer(
      env,
      'HEO_FOLLOW_CALLS_PER_MINUTE',
      DEFAULTS.followCallsPerMinute,
      1,
      1_000_000,
      problems,
    ),
    followConcurrency: integer(
      env,
      'HEO_FOLLOW_CONCURRENCY',
      DEFAULTS.followConcurrency,
      1,
      1_000,
      problems,
    ),
    idempotencyTtlMs: idempotencyTtl(env, problems),
    webhooksDeliver: flag(env, 'HEO_WEBHOOKS_DELIVER', DEFAULTS.webhooksDeliver, problems),
    webhooksAllowPrivateAddresses: flag(
      env,
      'HEO_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES',
      DEFAULTS.webhooksAllowPrivateAddresses,
      problems,
    ),
    webhooksTimeoutMs: integer(
      env,
      'HEO_WEBHOOKS_TIMEOUT_MS',
      DEFAULTS.webhooksTimeoutMs,
      100,
      60_000,
      problems,
    ),
    webhooksLeaseMs: integer(
      env,
      'HEO_WEBHOOKS_LEASE_MS',
      DEFAULTS.webhooksLeaseMs,
      200,
      3_600_000,
      problems,
    ),
    webhooksPollMs: integer(
      env,
      'HEO_WEBHOOKS_POLL_MS',
      DEFAULTS.webhooksPollMs,
      10,
      600_000,
      problems,
    ),
    webhooksConcurrency: integer(
      env,
      'HEO_WEBHOOKS_CONCURRENCY',
      DEFAULTS.webhooksConcurrency,
      1,
      1_000,
      problems,
    ),
    webhooksRetryScheduleMs: retrySchedule(env, problems),
    webhooksDisableAfterMs: duration(
      env,
      'HEO_WEBHOOKS_DISABLE_AFTER',
      DEFAULTS.webhooksDisableAfterMs,
      60_000,
      problems,
    ),
  };
  if (config.webhooksLeaseMs <= 2 * config.webhooksTimeoutMs)
    problems.push(
      `HEO_WEBHOOKS_LEASE_MS (${config.webhooksLeaseMs}) must be more than twice HEO_WEBHOOKS_TIMEOUT_MS (${config.webhooksTimeoutMs}): an attempt must end within its lease`,
    );
  if (config.followLeaseMs <= 2 * config.providerTimeoutMs)
    problems.push(
      `HEO_FOLLOW_LEASE_MS (${config.followLeaseMs}) must be more than twice HEO_PROVIDER_TIMEOUT_MS (${config.providerTimeoutMs}): a look at an action makes up to two provider calls, and must end within its lease`,
    );
  if (config.followPollMaxMs < config.followPollMs)
    problems.push(
      `HEO_FOLLOW_POLL_MAX_MS (${config.followPollMaxMs}) must be at least HEO_FOLLOW_POLL_MS (${config.followPollMs})`,
    );
  if (
    config.metricsPort !== null &&
    config.metricsPort !== 0 &&
    config.metricsPort === config.port
  ) {
    problems.push(`HEO_METRICS_PORT must differ from PORT (both are ${config.port})`);
  }
  if (config.adminPort !== null && config.adminPort !== 0) {
    if (config.adminPort === config.port)
      problems.push(`HEO_ADMIN_PORT must differ from PORT (both are ${config.port})`);
    if (config.adminPort === config.metricsPort)
      problems.push(
        `HEO_ADMIN_PORT must differ from HEO_METRICS_PORT (both are ${config.adminPort})`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
};
