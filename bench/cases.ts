import type { BenchRequest, Fixtures } from './fixtures.js';

/**
 * The cases `npm run bench` knows, in the order a round runs them (even rounds reverse it). The
 * first is the bare baseline every other case is measured against.
 */

/** The bare baseline's name: every run takes it, whatever `--cases` says. */
export const BASELINE = 'baseline';

export interface Case {
  readonly name: string;
  readonly describe: string;
  readonly requests: (f: Fixtures) => readonly BenchRequest[];
  /** Status every measured response must have. */
  readonly expect: 200 | 401 | 403 | 429;
  readonly env?: Readonly<Record<string, string>>;
  /** A reference server under bench/ instead of heo-power. */
  readonly server?: string;
  /** Another heo-power build's CLI instead of this one's (`--against`). */
  readonly build?: string;
  /** Runs on PostgreSQL + Redis instead of the embedded default (when both are reachable). */
  readonly postgres?: boolean;
  /** After the run, kill -9 the server and check every 200 is in the audit table. */
  readonly auditCheck?: boolean;
}

export const CASES: readonly Case[] = [
  {
    name: BASELINE,
    describe: 'bare node:http, same JSON',
    requests: (f) => f.accepted,
    expect: 200,
    server: 'baseline.js',
  },
  {
    name: 'fastify',
    describe: 'minimal Fastify route, same JSON (calibration)',
    requests: (f) => f.accepted,
    expect: 200,
    server: 'fastify-minimal.js',
  },
  {
    name: '200',
    describe: 'accepted power action, SQLite + simulator',
    requests: (f) => f.accepted,
    expect: 200,
    auditCheck: true,
  },
  {
    name: '200-idempotent',
    describe: 'the 200 path with an Idempotency-Key of its own on every request',
    requests: (f) => f.accepted.map((r) => ({ ...r, idempotent: true })),
    expect: 200,
  },
  {
    name: '200-framework',
    describe: 'the 200 path through the Fastify route (calibration: a query the API ignores)',
    // A query string makes the direct path hand the request to Fastify's route.
    requests: (f) => f.accepted.map((r) => ({ ...r, path: `${r.path}?via=framework` })),
    expect: 200,
  },
  {
    name: '200-fsync',
    describe: 'accepted, audit fsynced before the reply (HEO_AUDIT_DURABILITY=power-loss)',
    requests: (f) => f.accepted,
    expect: 200,
    auditCheck: true,
    env: { HEO_AUDIT_DURABILITY: 'power-loss' },
  },
  {
    name: '200-pg',
    describe: 'accepted power action, PostgreSQL + Redis + simulator',
    requests: (f) => f.accepted,
    expect: 200,
    auditCheck: true,
    postgres: true,
  },
  {
    name: '401',
    describe: 'unknown keys, the same 250 again and again (valid checksum)',
    requests: (f) => f.unknownKey,
    expect: 401,
  },
  {
    name: '401-fresh',
    describe: 'unknown keys, each new to the server (valid checksum): brute force',
    requests: (f) => f.freshKeys,
    expect: 401,
  },
  { name: '403', describe: "another customer's id", requests: (f) => f.foreign, expect: 403 },
  {
    name: '429',
    describe: 'key over its limit',
    requests: (f) => f.accepted,
    expect: 429,
    // Each key's one-minute window opens in the warm-up and must outlast the measured slices (and,
    // paired, the baseline's); see LIMIT_WINDOW_S in options.ts.
    env: { HEO_RATE_LIMIT_PER_MINUTE: '1' },
  },
];
