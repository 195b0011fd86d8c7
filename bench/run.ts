import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { runAutocannon } from './autocannon-driver.js';
import { type BenchRequest, type Fixtures, seed } from './fixtures.js';
import { parseBenchArgs } from './options.js';
import { type PostgresStorage, preparePostgres, unavailable } from './postgres.js';
import { cpuSeconds, hasCommand, type Sampler, sampleRss } from './proc.js';
import { type RunningProcess, startProcess } from './server-process.js';
import { type LoadOptions, type LoadResult, runWrk } from './wrk.js';

/**
 * `npm run bench`: heo-power's hot paths against a bare node:http server measured in the same run.
 * Every case runs in a fresh server process on its own copy of the seeded database, pinned to one
 * core while the load generator has the other, and takes turns under load with a baseline server
 * of its own. Two rounds, the second in reverse order.
 */

interface Case {
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

const CASES: readonly Case[] = [
  {
    name: 'baseline',
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

/** A mistake on the command line: said in one line with where to look, and exit code 2. */
function refuse(message: string): never {
  console.error(`bench: ${message}\nsee: npm run bench -- --help`);
  process.exit(2);
}

const parsed = parseBenchArgs(process.argv.slice(2), CASES);
if (parsed.kind === 'help') {
  console.log(parsed.text);
  process.exit(0);
}
if (parsed.kind === 'refused') refuse(parsed.message);
const { options } = parsed;

const SECONDS = options.seconds;
/** Paired cases alternate with their baseline in slices of this many seconds. */
const SLICE = options.slice;
const SLICES = Math.max(1, Math.round(SECONDS / SLICE));
const WARMUP = options.warmup;
const SOAK = options.soak;
const CONNECTIONS = options.connections;
const ROUNDS = options.rounds;
const CUSTOMERS = options.customers;
const OUT = options.out;
/** With --profile, heo-power runs under --cpu-prof and writes a .cpuprofile per case into OUT. */
const PROFILE = options.profile;
/**
 * By default every case runs beside a baseline server of its own, and the two take turns under
 * load in short slices (case, baseline, baseline, case, ...), so that a slow spell of a shared host
 * falls on both sides of the ratio. `--unpaired` measures the baseline once per round instead, each
 * run in one stretch.
 */
const PAIRED = options.paired;
/**
 * With `--against <dir>`, each case's turns are shared with the same case on another built
 * heo-power checkout (its `dist/cli/main.js`) instead of the bare baseline: the ratios compare two
 * builds, in the same run and the same slices. `--against .` measures this build against itself,
 * which shows how far two processes of one build differ.
 */
const AGAINST = options.against === null ? null : resolve(options.against, 'dist/cli/main.js');
if (AGAINST !== null && !existsSync(AGAINST)) {
  refuse(`--against: ${AGAINST} does not exist (build that checkout first)`);
}

const ROOT = new URL('../../', import.meta.url).pathname;
const SERVER = join(ROOT, 'dist/cli/main.js');
const TASKSET = hasCommand('taskset', ['-V']);
const WRK = hasCommand('wrk', ['-v']);
const SERVER_CORE = TASKSET ? 0 : null;
const LOAD_CORE = TASKSET ? 1 : null;

interface Slice {
  readonly startedAt: number;
  readonly rps: number;
  readonly p99Ms: number;
}

interface Measurement extends LoadResult {
  readonly case: string;
  readonly round: number;
  /** The baseline run this case is compared with (paired runs: the one interleaved with it). */
  baseline?: { readonly rps: number; readonly p99Ms: number };
  /**
   * Each stretch of load the measured seconds were split into: when it started (ms since the
   * epoch, to line it up with the host's own records), requests/s and p99.
   */
  readonly slices: readonly Slice[];
  readonly rps: number;
  readonly serverCpu: number;
  readonly cpuMicrosPerRequest: number;
  readonly rssMaxMb: number;
  readonly auditRows200?: number;
  readonly responses2xx?: number;
}

const load = (options: LoadOptions): Promise<LoadResult> =>
  WRK ? runWrk(options) : runAutocannon(options);

const work = mkdtempSync(join(tmpdir(), 'heo-power-bench-'));
const template = join(work, 'template.db');

const count200 = (db: string): number => {
  const sqlite = new BetterSqlite3(db, { readonly: true });
  try {
    return (
      sqlite.prepare('SELECT COUNT(*) AS n FROM audit_log WHERE status = 200').get() as {
        n: number;
      }
    ).n;
  } finally {
    sqlite.close();
  }
};

/** A case's server, started and warmed up, measured in one or more slices. */
interface CaseRun {
  readonly spec: Case;
  readonly round: number;
  readonly server: RunningProcess;
  readonly db: string;
  readonly storage: PostgresStorage | null;
  readonly options: (seconds: number) => LoadOptions;
  readonly rss: Sampler;
  /** The warm-up and any other load not measured, whose 200s the audit check counts too. */
  readonly unmeasured: LoadResult[];
  readonly slices: (LoadResult & { readonly startedAt: number })[];
  cpu: number;
}

const startCase = async (spec: Case, fixtures: Fixtures, round: number): Promise<CaseRun> => {
  const storage = spec.postgres ? await preparePostgres(CUSTOMERS) : null;
  const db = join(work, `${spec.name}-${round}.db`);
  if (storage === null) copyFileSync(template, db);
  const env = {
    DATABASE_URL: db,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    HEO_RATE_LIMIT_PER_MINUTE: '1000000',
    ...storage?.env,
    ...spec.env,
  };
  const profileArgs = PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${OUT}`, `--cpu-prof-name=${spec.name}-${round}.cpuprofile`]
    : [];
  let server: RunningProcess | undefined;
  try {
    server = await startProcess(
      spec.server === undefined
        ? [...profileArgs, spec.build ?? SERVER, 'serve']
        : [...profileArgs, join(ROOT, 'dist-bench/bench', spec.server)],
      env,
      SERVER_CORE,
    );
    const url = server.url;
    const requests = spec.requests(storage?.fixtures ?? fixtures);
    const options = (seconds: number): LoadOptions => ({
      url,
      requests,
      seconds,
      connections: CONNECTIONS,
      core: LOAD_CORE,
      scriptPath: join(work, `${spec.name}.lua`),
    });
    const warm = await load(options(WARMUP));
    const rss = sampleRss(server.pid, 500);
    return {
      spec,
      round,
      server,
      db,
      storage,
      options,
      rss,
      unmeasured: [warm],
      slices: [],
      cpu: 0,
    };
  } catch (error) {
    await server?.stop('SIGKILL');
    await storage?.cleanup();
    throw error;
  }
};

/** One stretch of load on a started case; every response must have the case's status. */
const measureSlice = async (run: CaseRun, seconds: number): Promise<void> => {
  const cpuBefore = cpuSeconds(run.server.pid);
  const startedAt = Date.now();
  const result = await load(run.options(seconds));
  run.cpu += cpuSeconds(run.server.pid) - cpuBefore;
  const wrong = run.spec.expect === 200 ? result.non2xx : result.requests - result.non2xx;
  if (wrong > 0) {
    throw new Error(`${run.spec.name}: ${wrong} responses were not ${run.spec.expect}`);
  }
  run.slices.push({ ...result, startedAt });
};

/** Adds up the slices, checks the audit after `kill -9` where the case asks, and cleans up. */
const finishCase = async (run: CaseRun): Promise<Measurement> => {
  const { spec, server, storage, db, slices } = run;
  run.rss.stop();
  try {
    const sum = (pick: (r: LoadResult) => number) => slices.reduce((a, r) => a + pick(r), 0);
    const seconds = sum((r) => r.seconds);
    const requests = sum((r) => r.requests);
    let audit: { auditRows200: number; responses2xx: number } | undefined;
    if (spec.auditCheck && !PROFILE) {
      await server.stop('SIGKILL');
      const responses2xx = [...run.unmeasured, ...slices].reduce(
        (a, r) => a + r.requests - r.non2xx,
        0,
      );
      audit = {
        auditRows200: storage === null ? count200(db) : await storage.count200(),
        responses2xx,
      };
      if (audit.auditRows200 < responses2xx) {
        throw new Error(
          `${spec.name}: ${responses2xx} answered 200 but only ${audit.auditRows200} audited`,
        );
      }
    }
    return {
      requests,
      seconds,
      non2xx: sum((r) => r.non2xx),
      socketErrors: sum((r) => r.socketErrors),
      // Slices are of equal length: the mean of their percentiles.
      p50Ms: sum((r) => r.p50Ms) / slices.length,
      p99Ms: sum((r) => r.p99Ms) / slices.length,
      // The busiest slice, so that one saturated stretch is flagged.
      generatorCpu: Math.max(...slices.map((r) => r.generatorCpu)),
      slices: slices.map((r) => ({
        startedAt: r.startedAt,
        rps: r.requests / r.seconds,
        p99Ms: r.p99Ms,
      })),
      case: spec.name,
      round: run.round,
      rps: requests / seconds,
      serverCpu: run.cpu / seconds,
      cpuMicrosPerRequest: (run.cpu / requests) * 1e6,
      rssMaxMb: Math.max(...run.rss.rss),
      ...audit,
    };
  } finally {
    // A profile is written only on a clean exit.
    await discardCase(run, PROFILE ? 'SIGTERM' : 'SIGKILL');
  }
};

/** Stops a case's server and removes its database. */
const discardCase = async (run: CaseRun, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
  run.rss.stop();
  await run.server.stop(signal);
  await run.storage?.cleanup();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${run.db}${suffix}`, { force: true });
};

interface Soak {
  readonly seconds: number;
  readonly rss: readonly number[];
  readonly firstMb: number;
  readonly maxMb: number;
  readonly lastMb: number;
  /** Growth over the second half of the run, MB per minute (least squares). */
  readonly slopeMbPerMin: number;
}

const soak = async (fixtures: Fixtures): Promise<Soak> => {
  const db = join(work, 'soak.db');
  copyFileSync(template, db);
  const server = await startProcess(
    [SERVER, 'serve'],
    {
      DATABASE_URL: db,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      HEO_RATE_LIMIT_PER_MINUTE: '1000000',
    },
    SERVER_CORE,
  );
  try {
    const rss = sampleRss(server.pid, 1_000);
    await load({
      url: server.url,
      requests: fixtures.accepted,
      seconds: SOAK,
      connections: CONNECTIONS,
      core: LOAD_CORE,
      scriptPath: join(work, 'soak.lua'),
    });
    rss.stop();
    const half = rss.rss.slice(Math.floor(rss.rss.length / 2));
    const n = half.length;
    const meanX = (n - 1) / 2;
    const meanY = half.reduce((a, b) => a + b, 0) / n;
    let num = 0;
    let den = 0;
    half.forEach((y, x) => {
      num += (x - meanX) * (y - meanY);
      den += (x - meanX) ** 2;
    });
    return {
      seconds: SOAK,
      rss: rss.rss,
      firstMb: rss.rss[1] ?? 0,
      maxMb: Math.max(...rss.rss),
      lastMb: rss.rss.at(-1) ?? 0,
      slopeMbPerMin: den === 0 ? 0 : (num / den) * 60,
    };
  } finally {
    await server.stop('SIGKILL');
    rmSync(db, { force: true });
  }
};

const fmt = (n: number, digits = 0): string => n.toFixed(digits);

const main = async () => {
  const postgresProblem = await unavailable();
  if (postgresProblem !== null)
    console.log(`skipping the PostgreSQL + Redis case: ${postgresProblem}`);
  const runnable = CASES.filter(
    (c) =>
      (!c.postgres || postgresProblem === null) &&
      // Against another build only heo-power's own cases make sense.
      (AGAINST === null || c.name === 'baseline' || c.server === undefined),
  );
  const selected =
    options.cases === null
      ? runnable
      : runnable.filter((c) => c.name === 'baseline' || options.cases?.includes(c.name));
  console.log(
    `heo-power benchmark: ${WRK ? 'wrk' : 'autocannon (wrk not installed)'}, ${CONNECTIONS} connections, ` +
      `${SECONDS}s per case after ${WARMUP}s warm-up, ${ROUNDS} rounds, ` +
      (AGAINST !== null ? `against ${AGAINST}, ` : '') +
      (PAIRED
        ? `each case beside its own baseline in ${SLICES} alternating slices of ${fmt(SECONDS / SLICES, 1)}s, `
        : 'one baseline run per round, ') +
      (TASKSET ? 'server on core 0, load on core 1' : 'no taskset: server and load share cores'),
  );
  const fixtures = await seed(template, CUSTOMERS);
  console.log(
    `seeded ${fixtures.customers} customers, ${fixtures.keys} keys, ${fixtures.resources} resources\n`,
  );

  const measurements: Measurement[] = [];
  const baselineSpec = selected.find((c) => c.name === 'baseline');
  if (baselineSpec === undefined) throw new Error('no baseline case');
  /** What takes turns with a case: the bare baseline, or with --against the same case there. */
  const yardstickFor = (spec: Case): Case =>
    AGAINST === null ? baselineSpec : { ...spec, name: baselineSpec.name, build: AGAINST };
  const print = (m: Measurement): void => {
    measurements.push(m);
    console.log(
      `round ${m.round} ${m.case.padEnd(8)} ${fmt(m.rps).padStart(7)} req/s  p50 ${fmt(m.p50Ms, 2)} ms  p99 ${fmt(m.p99Ms, 2)} ms  ` +
        `server cpu ${fmt(m.serverCpu * 100)}%  ${fmt(m.cpuMicrosPerRequest, 1)} µs/req  rss ${fmt(m.rssMaxMb)} MB  ` +
        `generator cpu ${fmt(m.generatorCpu * 100)}%${m.generatorCpu > 0.8 ? ' (GENERATOR SATURATED)' : ''}`,
    );
  };
  /** One case alone, in one stretch. */
  const measureAlone = async (spec: Case, round: number): Promise<Measurement> => {
    const run = await startCase(spec, fixtures, round);
    try {
      await measureSlice(run, SECONDS);
    } catch (error) {
      await discardCase(run);
      throw error;
    }
    const m = await finishCase(run);
    print(m);
    return m;
  };
  /** A case and a baseline server side by side, taking turns under load slice by slice. */
  const measurePaired = async (spec: Case, round: number): Promise<void> => {
    const runs: CaseRun[] = [];
    try {
      runs.push(await startCase(yardstickFor(spec), fixtures, round));
      runs.push(await startCase(spec, fixtures, round));
      // One turn each, not measured, so that the first measured slice of either server follows a
      // turn of the other like every later one, not a warm-up or a long idle spell: the first
      // slices used to hold most of a run's slow ones, with a warm-up of 3 s and of 8 s alike.
      // ABBA order: a steady drift of the host's speed falls on both sides alike. The unmeasured
      // turn is slice -1 of the same pattern (round is at least 1).
      const turnOrder = (slice: number) => ((slice + round) % 2 === 0 ? runs : [...runs].reverse());
      for (const run of turnOrder(-1))
        run.unmeasured.push(await load(run.options(SECONDS / SLICES)));
      for (let slice = 0; slice < SLICES; slice++) {
        for (const run of turnOrder(slice)) await measureSlice(run, SECONDS / SLICES);
      }
    } catch (error) {
      await Promise.all(runs.map((run) => discardCase(run)));
      throw error;
    }
    const finished = await Promise.allSettled(runs.map(finishCase));
    const [baseline, measured] = finished.map((f) => {
      if (f.status === 'rejected') throw f.reason;
      return f.value;
    });
    if (baseline === undefined || measured === undefined) throw new Error('a run went missing');
    measured.baseline = { rps: baseline.rps, p99Ms: baseline.p99Ms };
    print(baseline);
    print(measured);
  };
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? selected : [...selected].reverse();
    let roundBaseline: Measurement | undefined;
    const unpairedCases: Measurement[] = [];
    for (const spec of order) {
      if (spec === baselineSpec) {
        if (!PAIRED) roundBaseline = await measureAlone(spec, round);
      } else if (PAIRED) {
        await measurePaired(spec, round);
      } else {
        unpairedCases.push(await measureAlone(spec, round));
      }
    }
    for (const m of unpairedCases) {
      if (roundBaseline !== undefined)
        m.baseline = { rps: roundBaseline.rps, p99Ms: roundBaseline.p99Ms };
    }
  }

  const byCase = new Map<string, Measurement[]>();
  for (const m of measurements) byCase.set(m.case, [...(byCase.get(m.case) ?? []), m]);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  /** The middle value (the mean of the two middle ones): one disturbed round cannot move it. */
  const median = (xs: readonly number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  };
  const summary = selected.map((spec) => {
    const runs = byCase.get(spec.name) ?? [];
    // The baseline is the yardstick itself: its row has no per-round ratios.
    const ratios =
      spec === baselineSpec ? [1] : runs.map((m) => m.rps / (m.baseline?.rps ?? m.rps));
    const ratio = median(ratios);
    const p99Ratio = median(runs.map((m) => m.p99Ms / (m.baseline?.p99Ms ?? m.p99Ms)));
    return {
      case: spec.name,
      describe:
        spec === baselineSpec && AGAINST !== null
          ? `heo-power at ${AGAINST}, each case's own requests`
          : spec.describe,
      rps: mean(runs.map((m) => m.rps)),
      ratio,
      ratios,
      p50Ms: mean(runs.map((m) => m.p50Ms)),
      p99Ms: mean(runs.map((m) => m.p99Ms)),
      p99Ratio,
      serverCpu: mean(runs.map((m) => m.serverCpu)),
      cpuMicrosPerRequest: mean(runs.map((m) => m.cpuMicrosPerRequest)),
      rssMaxMb: Math.max(...runs.map((m) => m.rssMaxMb)),
      non2xx: runs.reduce((a, m) => a + m.non2xx, 0),
      requests: runs.reduce((a, m) => a + m.requests, 0),
      generatorSaturated: runs.some((m) => m.generatorCpu > 0.8),
    };
  });

  console.log(
    '\n| case | what | req/s | × baseline | per round | p50 ms | p99 ms | p99 × baseline | server CPU | CPU µs/req | max RSS MB | non-2xx |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of summary) {
    console.log(
      `| ${s.case} | ${s.describe} | ${fmt(s.rps)} | ${fmt(s.ratio, 2)} | ${s.ratios.map((r) => fmt(r, 2)).join(' ')} | ${fmt(s.p50Ms, 2)} | ${fmt(s.p99Ms, 2)} | ${fmt(s.p99Ratio, 2)} | ` +
        `${fmt(s.serverCpu * 100)}% | ${fmt(s.cpuMicrosPerRequest, 1)} | ${fmt(s.rssMaxMb)} | ${s.non2xx}/${s.requests}${s.generatorSaturated ? ' ⚠ generator saturated' : ''} |`,
    );
  }
  const audited = measurements.filter((m) => m.auditRows200 !== undefined);
  for (const m of audited) {
    console.log(
      `audit after kill -9 (round ${m.round}, ${m.case}): ${m.responses2xx} answered 200, ${m.auditRows200} rows with status 200`,
    );
  }

  let soakResult: Soak | undefined;
  if (SOAK > 0) {
    soakResult = await soak(fixtures);
    console.log(
      `\nRSS over a ${SOAK}s run of the 200 path: ${fmt(soakResult.firstMb)} MB at start, ${fmt(soakResult.maxMb)} MB max, ` +
        `${fmt(soakResult.lastMb)} MB at the end; second-half slope ${fmt(soakResult.slopeMbPerMin, 2)} MB/min`,
    );
  }

  mkdirSync(OUT, { recursive: true });
  const report = {
    at: new Date().toISOString(),
    node: process.version,
    generator: WRK ? 'wrk' : 'autocannon',
    pinned: TASKSET,
    against: AGAINST,
    connections: CONNECTIONS,
    seconds: SECONDS,
    fixtures: { customers: fixtures.customers, keys: fixtures.keys, resources: fixtures.resources },
    summary,
    measurements,
    soak: soakResult,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(OUT, 'latest.json'), json);
  writeFileSync(join(OUT, `${report.at.replace(/[:.]/g, '-')}.json`), json);
  console.log(`\nresults written to ${join(OUT, 'latest.json')}`);
};

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
