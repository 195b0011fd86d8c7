// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Packages that only adapters may import: the domain stays plain TypeScript. */
const FRAMEWORKS_AND_DRIVERS = [
  'fastify',
  '@fastify/*',
  'pg',
  'better-sqlite3',
  'ioredis',
  'undici',
  'pino',
  'prom-client',
  'commander',
  'node:http',
  'node:https',
  'node:net',
];

/** `from` folders of `src/` that the `target` folder must not import (no upward imports). */
const zone = (target, from, message) => ({
  target: `./src/${target}`,
  from: from.map((folder) => `./src/${folder}`),
  message,
});

const TOP = ['app.ts', 'admin-app.ts', 'server.ts', 'container.ts', 'cli'];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-bench/',
      'node_modules/',
      'coverage/',
      'bench/results/',
      'clients/*/dist/',
      // Generated from the served document by openapi-typescript; a test keeps it current.
      'clients/typescript/src/generated/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Sync implementations of promise-returning interfaces are deliberate (SQLite is synchronous).
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  // The architecture's boundaries, checked rather than agreed.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            zone(
              'domain',
              [
                'lib',
                'http',
                'services',
                'store',
                'providers',
                'metrics',
                'ratelimit',
                'audit',
                'auth',
                'secrets',
                'config.ts',
                'logger.ts',
                ...TOP,
              ],
              'domain/ is pure rules: it imports nothing but itself and lib/.',
            ),
            zone(
              'store',
              ['services', 'http', 'auth', 'audit', 'metrics', 'ratelimit', 'config.ts', ...TOP],
              'the store is below services, HTTP and configuration.',
            ),
            zone(
              'providers',
              ['services', 'http', 'auth', 'audit', 'metrics', 'ratelimit', 'config.ts', ...TOP],
              'providers are below services, HTTP and configuration.',
            ),
            zone(
              'metrics',
              ['http', 'services', 'auth', 'audit', ...TOP],
              'metrics sit below HTTP and services.',
            ),
            zone(
              'ratelimit',
              ['http', 'services', 'auth', 'audit', 'store', ...TOP],
              'limiters stand alone.',
            ),
            zone('services', ['http', ...TOP], 'services know nothing of HTTP.'),
            zone('auth', ['http', ...TOP], 'authentication knows nothing of HTTP.'),
            zone('audit', ['http', 'services', ...TOP], 'the audit writer knows nothing of HTTP.'),
            zone('http', TOP, 'HTTP code is composed by app.ts, never the other way.'),
            {
              target: './src',
              from: ['./src/http/routes', './src/http/transports'],
              except: [],
              message: 'route files are registered by app.ts only; shared pieces live beside them.',
            },
          ].map((z) =>
            z.target === './src' ? { ...z, target: ['./src/!(app.ts)', './src/!(app.ts)/**'] } : z,
          ),
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: FRAMEWORKS_AND_DRIVERS, message: 'domain/ imports no framework or driver.' },
          ],
        },
      ],
    },
  },
  {
    // Configuration is read in one place; everything else is handed what it needs.
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts', 'src/cli/io.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'read the environment in src/config.ts (or take it from CliIo in cli/).',
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
