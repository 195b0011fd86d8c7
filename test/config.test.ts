import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig } from '../src/config.js';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('configuration', () => {
  it('turns the admin API on with HEO_ADMIN_PORT, on HEO_ADMIN_HOST, off the other ports', () => {
    expect(loadConfig({ HEO_ADMIN_PORT: '9091', HEO_ADMIN_HOST: '10.0.0.5' })).toMatchObject({
      adminPort: 9091,
      adminHost: '10.0.0.5',
    });
    expect(problemsOf({ HEO_ADMIN_PORT: 'x' })).toEqual([
      'HEO_ADMIN_PORT must be a whole number from 0 to 65535 (got "x")',
    ]);
    expect(problemsOf({ HEO_ADMIN_PORT: '8080' })).toEqual([
      'HEO_ADMIN_PORT must differ from PORT (both are 8080)',
    ]);
    expect(problemsOf({ HEO_ADMIN_PORT: '9100', HEO_METRICS_PORT: '9100' })).toEqual([
      'HEO_ADMIN_PORT must differ from HEO_METRICS_PORT (both are 9100)',
    ]);
  });

  it('has documented defaults', () => {
    expect(loadConfig({})).toEqual({
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
      idempotencyTtlMs: 86_400_000,
      followActions: true,
      followLeaseMs: 30_000,
      followPollMs: 1_000,
      followPollMaxMs: 15_000,
      followDeadlineMs: null,
      followCallsPerMinute: 300,
      followConcurrency: 4,
      webhooksDeliver: true,
      webhooksAllowPrivateAddresses: false,
      webhooksTimeoutMs: 10_000,
      webhooksLeaseMs: 60_000,
      webhooksPollMs: 1_000,
      webhooksConcurrency: 8,
      webhooksRetryScheduleMs: [
        5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
      ],
      webhooksDisableAfterMs: 432_000_000,
    });
    expect(loadConfig({})).toEqual(DEFAULTS);
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        DATABASE_URL: '/var/lib/heo/x.db',
        HOST: '0.0.0.0',
        PORT: '9000',
        LOG_LEVEL: 'WARN',
        HEO_RATE_LIMIT_PER_MINUTE: '120',
        HEO_READ_RATE_LIMIT_PER_MINUTE: '900',
        HEO_AUTH_FAILURES_PER_MINUTE: '0',
        HEO_AUTH_FAILURE_LOG_INTERVAL_MS: '5000',
        HEO_ADMIN_AUTH_FAILURES_PER_MINUTE: '5',
        HEO_PROVIDER_TIMEOUT_MS: '2500',
        HEO_SHUTDOWN_TIMEOUT_MS: '5000',
        HEO_STORE_POOL_SIZE: '25',
        HEO_STORE_TIMEOUT_MS: '1500',
        HEO_CACHE_TRUST_MS: '750',
        REDIS_URL: 'redis://:secret@cache.internal:6380/2',
        HEO_REDIS_PREFIX: 'prod-eu:',
        HEO_REDIS_TIMEOUT_MS: '200',
        HEO_TRUST_PROXY: '10.0.0.0/8, 192.0.2.1',
        HEO_METRICS_PORT: '9464',
        HEO_METRICS_HOST: '10.0.0.5',
        HEO_ADMIN_PORT: '9091',
        HEO_ADMIN_HOST: '10.0.0.6',
        HEO_AUDIT_DURABILITY: 'power-loss',
        HEO_REQUEST_TIMEOUT_MS: '3000',
        HEO_MAX_CONNECTIONS_PER_CLIENT: '0',
        HEO_PUBLIC_URL: 'https://power.example.net/api/',
        HEO_AUDIT_RETENTION_DAYS: '90',
        HEO_IDEMPOTENCY_TTL: '90m',
        HEO_WEBHOOKS_DELIVER: 'false',
        HEO_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: 'true',
        HEO_WEBHOOKS_TIMEOUT_MS: '2000',
        HEO_WEBHOOKS_LEASE_MS: '30000',
        HEO_WEBHOOKS_POLL_MS: '250',
        HEO_WEBHOOKS_CONCURRENCY: '2',
        HEO_WEBHOOKS_RETRY_SCHEDULE: '1s,250ms,1m,2h,1d',
        HEO_WEBHOOKS_DISABLE_AFTER: '3d',
      }),
    ).toEqual({
      databaseUrl: '/var/lib/heo/x.db',
      host: '0.0.0.0',
      port: 9000,
      logLevel: 'warn',
      rateLimitPerMinute: 120,
      readRateLimitPerMinute: 900,
      authFailuresPerMinute: 0,
      authFailureLogIntervalMs: 5000,
      adminAuthFailuresPerMinute: 5,
      providerTimeoutMs: 2500,
      shutdownTimeoutMs: 5000,
      storePoolSize: 25,
      storeTimeoutMs: 1500,
      cacheTrustMs: 750,
      redisUrl: 'redis://:secret@cache.internal:6380/2',
      redisPrefix: 'prod-eu:',
      redisTimeoutMs: 200,
      trustProxy: ['10.0.0.0/8', '192.0.2.1'],
      secretKey: null,
      metricsPort: 9464,
      metricsHost: '10.0.0.5',
      adminPort: 9091,
      adminHost: '10.0.0.6',
      auditDurability: 'power-loss',
      requestTimeoutMs: 3000,
      maxConnectionsPerClient: 0,
      publicUrl: 'https://power.example.net/api',
      auditRetentionDays: 90,
      followActions: true,
      followLeaseMs: 30_000,
      followPollMs: 1_000,
      followPollMaxMs: 15_000,
      followDeadlineMs: null,
      followCallsPerMinute: 300,
      followConcurrency: 4,
      webhooksDeliver: false,
      webhooksAllowPrivateAddresses: true,
      webhooksTimeoutMs: 2_000,
      webhooksLeaseMs: 30_000,
      webhooksPollMs: 250,
      webhooksConcurrency: 2,
      webhooksRetryScheduleMs: [1_000, 250, 60_000, 7_200_000, 86_400_000],
      webhooksDisableAfterMs: 259_200_000,
      idempotencyTtlMs: 5_400_000,
    });
  });

  it('remembers Idempotency-Keys for HEO_IDEMPOTENCY_TTL, a duration up to a week', () => {
    expect(loadConfig({ HEO_IDEMPOTENCY_TTL: ' ' }).idempotencyTtlMs).toBe(86_400_000);
    expect(loadConfig({ HEO_IDEMPOTENCY_TTL: '30s' }).idempotencyTtlMs).toBe(30_000);
    expect(loadConfig({ HEO_IDEMPOTENCY_TTL: '7d' }).idempotencyTtlMs).toBe(604_800_000);
    for (const bad of ['0s', '24', '8d', '1 h']) {
      expect(problemsOf({ HEO_IDEMPOTENCY_TTL: bad })).toEqual([
        `HEO_IDEMPOTENCY_TTL must be a duration from 1s to 7d such as 24h, 90m or 30s (got "${bad}")`,
      ]);
    }
  });

  it('refuses a webhook retry schedule, lease or disable delay it cannot read', () => {
    expect(
      problemsOf({
        HEO_WEBHOOKS_RETRY_SCHEDULE: '5s,soon',
        HEO_WEBHOOKS_DISABLE_AFTER: '5 days',
        HEO_WEBHOOKS_LEASE_MS: '15000',
      }),
    ).toEqual([
      'HEO_WEBHOOKS_RETRY_SCHEDULE must be up to 50 comma-separated durations from 10ms to 7d, e.g. 5s,5m,30m,2h,5h,10h,10h (got "5s,soon")',
      'HEO_WEBHOOKS_DISABLE_AFTER must be a duration of at least 60000 ms, e.g. 5d or 12h (got "5 days")',
      'HEO_WEBHOOKS_LEASE_MS (15000) must be more than twice HEO_WEBHOOKS_TIMEOUT_MS (10000): an attempt must end within its lease',
    ]);
  });

  it('takes HEO_PUBLIC_URL as an http(s) base URL, and nothing else', () => {
    expect(loadConfig({ HEO_PUBLIC_URL: 'http://10.0.0.5:8080' }).publicUrl).toBe(
      'http://10.0.0.5:8080',
    );
    expect(loadConfig({ HEO_PUBLIC_URL: ' ' }).publicUrl).toBeNull();
    for (const bad of [
      'power.example.net',
      'ftp://x.example',
      'https://x.example/?a=1',
      'https://x.example/#top',
    ]) {
      expect(problemsOf({ HEO_PUBLIC_URL: bad })).toEqual([
        `HEO_PUBLIC_URL must be an http:// or https:// URL without credentials, query or fragment, e.g. https://power.example.net (got "${bad}")`,
      ]);
    }
    expect(problemsOf({ HEO_PUBLIC_URL: 'https://user:hunter2@x.example' }).join()).not.toContain(
      'hunter2',
    );
  });

  it('turns metrics off when HEO_METRICS_PORT is unset or empty, and on for 0 (a free port)', () => {
    expect(loadConfig({ HEO_METRICS_PORT: '' }).metricsPort).toBeNull();
    expect(loadConfig({ HEO_METRICS_PORT: '  ' }).metricsPort).toBeNull();
    expect(loadConfig({ HEO_METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  it('refuses a metrics port that is not a port, or the API port itself', () => {
    expect(() => loadConfig({ HEO_METRICS_PORT: 'on' })).toThrow(
      /HEO_METRICS_PORT must be a whole number from 0 to 65535 \(got "on"\)/,
    );
    expect(() => loadConfig({ HEO_METRICS_PORT: '70000' })).toThrow(/HEO_METRICS_PORT/);
    expect(() => loadConfig({ PORT: '9100', HEO_METRICS_PORT: '9100' })).toThrow(
      'invalid configuration: HEO_METRICS_PORT must differ from PORT (both are 9100)',
    );
    expect(() => loadConfig({ HEO_METRICS_PORT: '8080' })).toThrow(/must differ from PORT/);
  });

  it('reads HEO_SECRET_KEY as hex or base64, and never repeats it in an error', () => {
    const hex = 'ab'.repeat(32);
    const base64 = Buffer.from(hex, 'hex').toString('base64');
    expect(loadConfig({ HEO_SECRET_KEY: hex }).secretKey?.id).toBe(
      loadConfig({ HEO_SECRET_KEY: base64 }).secretKey?.id,
    );
    expect(() => loadConfig({ HEO_SECRET_KEY: 'hunter2-hunter2' })).toThrow(
      new ConfigError([
        'HEO_SECRET_KEY must be 32 random bytes, as 64 hex characters or as base64 (44 characters), e.g. the output of "openssl rand -base64 32"',
      ]),
    );
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        HEO_AUDIT_DURABILITY: 'sometimes',
        PORT: '70000',
        LOG_LEVEL: 'chatty',
        HEO_RATE_LIMIT_PER_MINUTE: '1.5',
        HEO_PROVIDER_TIMEOUT_MS: 'soon',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toContain(
      'HEO_AUDIT_DURABILITY must be one of process-crash, power-loss',
    );
    expect(problems.join('\n')).toMatch(
      /LOG_LEVEL[\s\S]*PORT[\s\S]*HEO_RATE_LIMIT_PER_MINUTE[\s\S]*HEO_PROVIDER_TIMEOUT_MS/,
    );
  });

  describe('DATABASE_URL', () => {
    it.each([
      './data/heo-power.db',
      'file:./x.db',
      'sqlite:///var/lib/heo/x.db',
      'postgres://heo:secret@db.internal:5432/heo',
      'postgresql://db.internal/heo?options=-c%20search_path%3Dheo',
    ])('accepts %s', (url) => {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    });

    it('refuses other databases and postgres URLs without a host, never echoing the URL', () => {
      expect(problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/heo' })).toEqual([
        'DATABASE_URL must be a SQLite file path (file: and sqlite: allowed) or a postgres:// URL',
      ]);
      const problems = problemsOf({ DATABASE_URL: 'postgres://:hunter2@/heo' });
      expect(problems).toEqual(['DATABASE_URL is not a valid postgres:// URL with a host']);
      expect(problems.join()).not.toContain('hunter2');
    });
  });

  describe('PostgreSQL pool and time-out', () => {
    it('refuses values out of range', () => {
      expect(problemsOf({ HEO_STORE_POOL_SIZE: '0', HEO_STORE_TIMEOUT_MS: '50' })).toEqual([
        'HEO_STORE_POOL_SIZE must be a whole number from 1 to 1000 (got "0")',
        'HEO_STORE_TIMEOUT_MS must be a whole number from 100 to 300000 (got "50")',
      ]);
    });
  });

  describe('audit retention', () => {
    it('keeps everything unless HEO_AUDIT_RETENTION_DAYS is set, and refuses anything but days', () => {
      expect(loadConfig({ HEO_AUDIT_RETENTION_DAYS: ' ' }).auditRetentionDays).toBeNull();
      expect(loadConfig({ HEO_AUDIT_RETENTION_DAYS: '1' }).auditRetentionDays).toBe(1);
      expect(problemsOf({ HEO_AUDIT_RETENTION_DAYS: '0' })).toEqual([
        'HEO_AUDIT_RETENTION_DAYS must be a whole number from 1 to 36500 (got "0")',
      ]);
      expect(problemsOf({ HEO_AUDIT_RETENTION_DAYS: '30d' })).toEqual([
        'HEO_AUDIT_RETENTION_DAYS must be a whole number from 1 to 36500 (got "30d")',
      ]);
    });
  });

  describe('Redis', () => {
    it('accepts redis:// and rediss:// URLs', () => {
      expect(loadConfig({ REDIS_URL: 'rediss://cache:6380' }).redisUrl).toBe('rediss://cache:6380');
      expect(loadConfig({ REDIS_URL: '  ' }).redisUrl).toBeNull();
    });

    it('refuses anything else, a bad prefix and a bad time-out, never echoing the URL', () => {
      const problems = problemsOf({
        REDIS_URL: 'http://user:hunter2@cache',
        HEO_REDIS_PREFIX: 'has space',
        HEO_REDIS_TIMEOUT_MS: '5',
      });
      expect(problems).toEqual([
        'REDIS_URL must be a redis:// or rediss:// URL with a host',
        'HEO_REDIS_PREFIX must be 1 to 100 printable characters without spaces (got "has space")',
        'HEO_REDIS_TIMEOUT_MS must be a whole number from 10 to 60000 (got "5")',
      ]);
      expect(problems.join()).not.toContain('hunter2');
    });
  });

  describe('HEO_TRUST_PROXY', () => {
    it.each([
      ['', false],
      ['false', false],
      ['off', false],
      ['0', false],
      ['true', true],
      ['TRUE', true],
      ['yes', true],
      ['1', 1],
      ['2', 2],
      ['127.0.0.1', ['127.0.0.1']],
      ['loopback,10.0.0.0/8, fd00::/8', ['loopback', '10.0.0.0/8', 'fd00::/8']],
      ['::1', ['::1']],
    ])('reads "%s"', (value, expected) => {
      expect(loadConfig({ HEO_TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    it.each(['maybe', '10.0.0.0/33', '10.0.0.1,nonsense', '101', '1.2.3', '10.0.0.0/8/1'])(
      'refuses "%s"',
      (value) => {
        const problems = problemsOf({ HEO_TRUST_PROXY: value });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^HEO_TRUST_PROXY must be false, true, a hop count/);
      },
    );
  });
});
