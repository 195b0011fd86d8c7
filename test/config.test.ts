import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('has documented defaults', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: './data/heo-power.db',
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      rateLimitPerMinute: 60,
      providerTimeoutMs: 10_000,
      shutdownTimeoutMs: 10_000,
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
        HEO_PROVIDER_TIMEOUT_MS: '2500',
        HEO_SHUTDOWN_TIMEOUT_MS: '5000',
      }),
    ).toEqual({
      databaseUrl: '/var/lib/heo/x.db',
      host: '0.0.0.0',
      port: 9000,
      logLevel: 'warn',
      rateLimitPerMinute: 120,
      providerTimeoutMs: 2500,
      shutdownTimeoutMs: 5000,
    });
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
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
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(
      /LOG_LEVEL[\s\S]*PORT[\s\S]*HEO_RATE_LIMIT_PER_MINUTE[\s\S]*HEO_PROVIDER_TIMEOUT_MS/,
    );
  });
});
