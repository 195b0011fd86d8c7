import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { DEFAULTS } from '../src/config.js';
import { openStore } from '../src/store/open-store.js';
import type { AuditFilter, Store } from '../src/store/store.js';
import { POSTGRES_URL, unavailable } from './postgres.js';
import { rssMb } from './proc.js';

/**
 * `npm run bench -- --cases audit-1m`: the audit log at a million rows, on SQLite and on
 * PostgreSQL. It fills each store with 1 000 000 records spread over 90 days (1 000 keys, 500
 * customers, 2 000 machines, five actions, 90 % 200s, 9 % 403s, 1 % 502s), then reports how long
 * a filtered page of 50 takes through the store, and how long `heo-power audit export` of every
 * record takes and the most memory (RSS) its process held. Not timed tests: figures to read.
 */
export const AUDIT_SCALE_CASE = {
  name: 'audit-1m',
  describe: 'audit log of 1 000 000 rows on both stores: filtered pages, a whole export (opt-in)',
} as const;

const ROWS = 1_000_000;
const DAY = 86_400_000;
const SPAN = 90 * DAY;
const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli/main.js');

const COLUMNS =
  'at, request_id, key_id, customer_id, resource_type, resource_id, action, status, error, client_ip, provider, upstream_status, upstream_detail, task_ref';

const fillSqlite = (path: string, end: number): void => {
  const db = new BetterSqlite3(path);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.prepare(
      `INSERT INTO audit_log (${COLUMNS})
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
       SELECT ${end - SPAN} + i * ${Math.floor(SPAN / ROWS)}, printf('req-%08d', i), printf('key_%04d', i % 1000),
         printf('cus_%03d', i % 500), CASE WHEN i % 3 = 0 THEN 'game' ELSE 'vps' END, printf('m_%04d', i % 2000),
         CASE i % 5 WHEN 0 THEN 'start' WHEN 1 THEN 'stop' WHEN 2 THEN 'reset' WHEN 3 THEN 'restart' ELSE 'kill' END,
         CASE WHEN i % 100 = 0 THEN 502 WHEN i % 10 = 0 THEN 403 ELSE 200 END,
         CASE WHEN i % 100 = 0 THEN 'provider_error' WHEN i % 10 = 0 THEN 'forbidden' END,
         '203.0.113.7', 'sim', 200, NULL, printf('task-%d', i)
       FROM n`,
    ).run();
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
};

const fillPostgres = async (url: string, end: number): Promise<void> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO audit_log (${COLUMNS})
       SELECT ${end - SPAN}::bigint + i::bigint * ${Math.floor(SPAN / ROWS)}, 'req-' || lpad(i::text, 8, '0'),
         'key_' || lpad((i % 1000)::text, 4, '0'), 'cus_' || lpad((i % 500)::text, 3, '0'),
         CASE WHEN i % 3 = 0 THEN 'game' ELSE 'vps' END, 'm_' || lpad((i % 2000)::text, 4, '0'),
         (ARRAY['start', 'stop', 'reset', 'restart', 'kill'])[i % 5 + 1],
         CASE WHEN i % 100 = 0 THEN 502 WHEN i % 10 = 0 THEN 403 ELSE 200 END,
         CASE WHEN i % 100 = 0 THEN 'provider_error' WHEN i % 10 = 0 THEN 'forbidden' END,
         '203.0.113.7', 'sim', 200, NULL, 'task-' || i
       FROM generate_series(1, ${ROWS}) AS i`,
    );
    await client.query('ANALYZE audit_log');
  } finally {
    await client.end();
  }
};

/** The filters of the figures, each as an operator would ask for them. */
const filters = (end: number): readonly (readonly [string, AuditFilter])[] => [
  ['newest 50', {}],
  ['--key', { keyId: 'key_0421' }],
  ['--customer', { customerId: 'cus_077' }],
  ['--resource', { resource: { type: 'vps', id: 'm_1234' } }],
  ['--action', { action: 'reset' }],
  ['--status 502', { status: 502 }],
  ['--request-id', { requestId: 'req-00500000' }],
  ['--since 24h', { since: end - DAY }],
  ['--until 60d ago', { until: end - 60 * DAY }],
  [
    '--customer --status 403 --since 7d',
    { customerId: 'cus_070', status: 403, since: end - 7 * DAY },
  ],
];

interface PageFigure {
  readonly filter: string;
  readonly rows: number;
  readonly medianMs: number;
  readonly maxMs: number;
  /** The page after the first page's cursor. */
  readonly nextMedianMs: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const timePages = async (store: Store, end: number): Promise<PageFigure[]> => {
  const figures: PageFigure[] = [];
  for (const [name, filter] of filters(end)) {
    const first: number[] = [];
    const next: number[] = [];
    let rows = 0;
    for (let run = 0; run < 6; run++) {
      let started = performance.now();
      const page = await store.audit.page({ ...filter, limit: 50 });
      const firstMs = performance.now() - started;
      rows = page.rows.length;
      started = performance.now();
      if (page.nextCursor !== null) {
        await store.audit.page({ ...filter, limit: 50, cursor: page.nextCursor });
      }
      const nextMs = performance.now() - started;
      // The first run warms the caches; it is not counted.
      if (run > 0) {
        first.push(firstMs);
        next.push(nextMs);
      }
    }
    figures.push({
      filter: name,
      rows,
      medianMs: median(first),
      maxMs: Math.max(...first),
      nextMedianMs: median(next),
    });
  }
  return figures;
};

interface ExportFigure {
  readonly seconds: number;
  readonly lines: number;
  readonly megabytes: number;
  readonly peakRssMb: number;
}

/** `heo-power audit export --format jsonl` of everything, into a file, as its own process. */
const timeExport = async (databaseUrl: string, out: string): Promise<ExportFigure> => {
  const fd = openSync(out, 'w');
  const started = performance.now();
  let peak = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'audit', 'export', '--format', 'jsonl'], {
        env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
        stdio: ['ignore', fd, 'inherit'],
      });
      const timer = setInterval(() => {
        try {
          if (child.pid !== undefined) peak = Math.max(peak, rssMb(child.pid));
        } catch {
          // Gone between two samples.
        }
      }, 100);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearInterval(timer);
        if (code === 0) resolve();
        else reject(new Error(`audit export exited with ${code}`));
      });
    });
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  const size = statSync(out).size;
  return { seconds, lines: ROWS, megabytes: size / 1024 / 1024, peakRssMb: peak };
};

const openForBench = (databaseUrl: string) =>
  openStore({
    databaseUrl,
    poolSize: 2,
    timeoutMs: DEFAULTS.storeTimeoutMs,
    watchChanges: false,
  });

interface StoreFigures {
  readonly store: string;
  readonly fillSeconds: number;
  readonly pages: readonly PageFigure[];
  readonly export: ExportFigure;
}

const measureStore = async (
  name: string,
  databaseUrl: string,
  fill: (end: number) => Promise<void> | void,
  work: string,
): Promise<StoreFigures> => {
  const migrating = await openForBench(databaseUrl);
  try {
    await migrating.migrate();
  } finally {
    await migrating.close();
  }
  const end = Date.now();
  const filling = performance.now();
  console.log(`audit-1m: filling ${name} with ${ROWS} records...`);
  await fill(end);
  const fillSeconds = (performance.now() - filling) / 1000;
  const store = await openForBench(databaseUrl);
  let pages: PageFigure[];
  try {
    pages = await timePages(store, end);
  } finally {
    await store.close();
  }
  const exported = await timeExport(databaseUrl, join(work, `${name}-export.jsonl`));
  return { store: name, fillSeconds, pages, export: exported };
};

const printFigures = (figures: StoreFigures): void => {
  console.log(`\naudit-1m on ${figures.store} (filled in ${figures.fillSeconds.toFixed(0)} s):`);
  console.log('  filter                               rows  page ms (median / max)  next page ms');
  for (const p of figures.pages) {
    console.log(
      `  ${p.filter.padEnd(36)} ${String(p.rows).padStart(4)}  ${p.medianMs.toFixed(2).padStart(8)} / ${p.maxMs.toFixed(2).padEnd(8)}     ${p.nextMedianMs.toFixed(2)}`,
    );
  }
  const e = figures.export;
  console.log(
    `  export --format jsonl: ${e.lines} records, ${e.megabytes.toFixed(0)} MB in ${e.seconds.toFixed(1)} s, peak RSS ${e.peakRssMb.toFixed(0)} MB`,
  );
};

/** Runs the case on SQLite, then on PostgreSQL when it answers; writes `audit-1m.json`. */
export const runAuditScale = async (options: { readonly work: string; readonly out: string }) => {
  const results: StoreFigures[] = [];
  const sqlitePath = join(options.work, 'audit-1m.db');
  const sqlite = await measureStore(
    'SQLite',
    sqlitePath,
    (end) => fillSqlite(sqlitePath, end),
    options.work,
  );
  printFigures(sqlite);
  results.push(sqlite);

  const problem = await unavailable();
  if (problem !== null) {
    console.log(`audit-1m: skipping PostgreSQL: ${problem}`);
  } else {
    const schema = `heo_bench_${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}`;
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    try {
      const postgres = await measureStore(
        'PostgreSQL',
        url.toString(),
        (end) => fillPostgres(url.toString(), end),
        options.work,
      );
      printFigures(postgres);
      results.push(postgres);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  }
  mkdirSync(options.out, { recursive: true });
  const report = { at: new Date().toISOString(), node: process.version, rows: ROWS, results };
  writeFileSync(join(options.out, 'audit-1m.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${join(options.out, 'audit-1m.json')}`);
};
