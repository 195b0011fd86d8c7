import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The fast tier: every suite that runs in this process on SQLite with in-memory limits. Left out:
 * suites that start heo-power as a process (`*.process.test.ts`), the docs page in Chromium, and
 * PostgreSQL + Redis (`HEO_TEST_BACKENDS=sqlite`). `npm test` runs everything.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ['**/node_modules/**', 'test/**/*.process.test.ts', 'test/http/docs-page.test.ts'],
      env: { HEO_TEST_BACKENDS: 'sqlite', HEO_TEST_TIER: 'unit' },
    },
  }),
);
