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

export interface Config {
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly rateLimitPerMinute: number;
  readonly providerTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
}

export const DEFAULTS: Config = Object.freeze({
  databaseUrl: './data/heo-power.db',
  host: '127.0.0.1',
  port: 8080,
  logLevel: 'info',
  rateLimitPerMinute: 60,
  providerTimeoutMs: 10_000,
  shutdownTimeoutMs: 10_000,
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

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

const text = (env: Env, name: string, fallback: string): string => {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? fallback : raw;
};

export const loadConfig = (env: Env = process.env): Config => {
  const problems: string[] = [];
  const logLevel = text(env, 'LOG_LEVEL', DEFAULTS.logLevel).toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const config: Config = {
    databaseUrl: text(env, 'DATABASE_URL', DEFAULTS.databaseUrl),
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
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
};
