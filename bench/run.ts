import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { AUDIT_SCALE_CASE, runAuditScale } from './audit-scale.js';
import { runAutocannon } from './autocannon-driver.js';
import { BASELINE, type Case, CASES } from './cases.js';
import { type Fixtures, seed } from './fixtures.js';
import { parseBenchArgs } from './options.js';
import { type PostgresStorage, preparePostgres, unavailable } from './postgres.js';
import { cpuSeconds, hasCommand, type Sampler, sampleRss } from './proc.js';
import { auditLines, measurementLine, runLine, soakLine, summaryTable } from './report.js';
import { schedule, selectCases, type Session, type Side, sliceCount } from './schedule.js';
import { type RunningProcess, startProcess } from './server-process.js';
import {
  answered2xx,
  compareInRound,
  type Measurement,
  measure,
  type SessionResult,
  type Soak,
  soakSummary,
  summarise,
  type TimedLoad,
  unexpectedResponses,
} from './stats.js';
import { type LoadOptions, type LoadResult, runWrk } from './wrk.js';

/**
 * `npm run bench`: heo-power's hot paths against a bare node:http server measured in the same run.
 * Every case runs in a fresh server process on its own copy of the seeded database, pinned to one
 * core while the load generator has the other, and takes turns under load with a baseline server
 * of its own. Two rounds, the second in reverse order.
 *
 * This file only carries the run out: the order of every start and turn is bench/schedule.ts's,
 * every number bench/stats.ts's, every printed line bench/report.ts's.
 */

/** A mistake on the command line: said in one line with where to look, and exit code 2. */
function refuse(message: string): never {
  console.error(`bench: ${message}\nsee: npm run bench -- --help`);
  process.exit(2);
}

const parsed = parseBenchArgs(process.argv.slice(2), [...CASES, AUDIT_SCALE_CASE]);
if (parsed.kind === 'help') {
  console.log(parsed.text);
  process.exit(0);
}
if (parsed.kind === 'refused') refuse(parsed.message);
const { options } = parsed;

/** With --profile, heo-power runs under --cpu-prof and writes a .cpuprofile per case into out. */
const PROFILE = options.profile;
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
  readonly slices: TimedLoad[];
}

const startCase = async (
  spec: Case,
  fixtures: Fixtures,
  round: number,
  warmup: number,
): Promise<CaseRun> => {
  const storage = spec.postgres ? await preparePostgres(options.customers) : null;
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
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${options.out}`,
        `--cpu-prof-name=${spec.name}-${round}.cpuprofile`,
      ]
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
    const loadOptions = (seconds: number): LoadOptions => ({
      url,
      requests,
      seconds,
      connections: options.connections,
      core: LOAD_CORE,
      scriptPath: join(work, `${spec.name}.lua`),
    });
    const warm = await load(loadOptions(warmup));
    const rss = sampleRss(server.pid, 500);
    return {
      spec,
      round,
      server,
      db,
      storage,
      options: loadOptions,
      rss,
      unmeasured: [warm],
      slices: [],
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
  const serverCpuSeconds = cpuSeconds(run.server.pid) - cpuBefore;
  const wrong = unexpectedResponses(run.spec.expect, result);
  if (wrong > 0) {
    throw new Error(`${run.spec.name}: ${wrong} responses were not ${run.spec.expect}`);
  }
  run.slices.push({ ...result, startedAt, serverCpuSeconds });
};

/** Adds up the slices, checks the audit after `kill -9` where the case asks, and cleans up. */
const finishCase = async (run: CaseRun): Promise<Measurement> => {
  const { spec, server, storage, db, slices } = run;
  run.rss.stop();
  try {
    let audit: { auditRows200: number; responses2xx: number } | undefined;
    if (spec.auditCheck && !PROFILE) {
      await server.stop('SIGKILL');
      const responses2xx = answered2xx([...run.unmeasured, ...slices]);
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
      ...measure({ case: spec.name, round: run.round, slices, rssMb: run.rss.rss }),
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

/** The RSS run of the 200 path after the rounds samples the server this often. */
const SOAK_SAMPLE_MS = 1_000;

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
    const rss = sampleRss(server.pid, SOAK_SAMPLE_MS);
    await load({
      url: server.url,
      requests: fixtures.accepted,
      seconds: options.soak,
      connections: options.connections,
      core: LOAD_CORE,
      scriptPath: join(work, 'soak.lua'),
    });
    rss.stop();
    return soakSummary(options.soak, rss.rss, SOAK_SAMPLE_MS / 1_000);
  } finally {
    await server.stop('SIGKILL');
    rmSync(db, { force: true });
  }
};

/** The load cases asked for: `--cases` without the audit-1m case, which runs on its own. */
const loadCases = options.cases?.filter((name) => name !== AUDIT_SCALE_CASE.name) ?? null;

const main = async () => {
  const postgresProblem = await unavailable();
  if (postgresProblem !== null)
    console.log(`skipping the PostgreSQL + Redis case: ${postgresProblem}`);
  const selected = selectCases(CASES, {
    baseline: BASELINE,
    postgres: postgresProblem === null,
    against: AGAINST !== null,
    only: loadCases,
  });
  console.log(
    runLine({
      generator: WRK ? 'wrk' : 'autocannon',
      connections: options.connections,
      seconds: options.seconds,
      warmup: options.warmup,
      rounds: options.rounds,
      against: AGAINST,
      paired: options.paired,
      slices: sliceCount(options.seconds, options.slice),
      pinned: TASKSET,
    }),
  );
  const fixtures = await seed(template, options.customers);
  console.log(
    `seeded ${fixtures.customers} customers, ${fixtures.keys} keys, ${fixtures.resources} resources\n`,
  );

  const baselineSpec = selected.find((c) => c.name === BASELINE);
  if (baselineSpec === undefined) throw new Error('no baseline case');
  /** What takes turns with a case: the bare baseline, or with --against the same case there. */
  const yardstickFor = (spec: Case): Case =>
    AGAINST === null ? baselineSpec : { ...spec, name: baselineSpec.name, build: AGAINST };

  /** Carries out a session's steps; its runs are printed as they finish, yardstick first. */
  const runSession = async (session: Session<Case>): Promise<SessionResult> => {
    const specFor: Record<Side, Case> = {
      case: session.spec,
      yardstick: yardstickFor(session.spec),
    };
    const runs = new Map<Side, CaseRun>();
    try {
      for (const step of session.steps) {
        if (step.kind === 'start') {
          const run = await startCase(specFor[step.side], fixtures, session.round, step.warmup);
          runs.set(step.side, run);
          continue;
        }
        const run = runs.get(step.side);
        if (run === undefined) throw new Error(`${step.side} loaded before it started`);
        if (step.measured) await measureSlice(run, step.seconds);
        else run.unmeasured.push(await load(run.options(step.seconds)));
      }
    } catch (error) {
      await Promise.all([...runs.values()].map((run) => discardCase(run)));
      throw error;
    }
    const finished = await Promise.allSettled(
      [...runs].map(async ([side, run]) => [side, await finishCase(run)] as const),
    );
    const done = new Map(
      finished.map((f) => {
        if (f.status === 'rejected') throw f.reason;
        return f.value;
      }),
    );
    for (const m of done.values()) console.log(measurementLine(m));
    const measured = done.get('case');
    const yardstick = done.get('yardstick');
    if (measured === undefined) throw new Error('a run went missing');
    if (session.compare !== 'turns') return { compare: session.compare, measured };
    if (yardstick === undefined) throw new Error('a run went missing');
    return { compare: 'turns', yardstick, measured };
  };

  const measurements: Measurement[] = [];
  for (const sessions of schedule(selected, baselineSpec, options)) {
    const results: SessionResult[] = [];
    for (const session of sessions) results.push(await runSession(session));
    measurements.push(...compareInRound(results));
  }

  const summary = summarise(
    selected.map((spec) => ({
      name: spec.name,
      // The baseline is the yardstick itself: its row has no per-round ratios.
      yardstick: spec === baselineSpec,
      describe:
        spec === baselineSpec && AGAINST !== null
          ? `heo-power at ${AGAINST}, each case's own requests`
          : spec.describe,
    })),
    measurements,
  );
  console.log(`\n${summaryTable(summary).join('\n')}`);
  for (const line of auditLines(measurements)) console.log(line);

  let soakResult: Soak | undefined;
  if (options.soak > 0) {
    soakResult = await soak(fixtures);
    console.log(`\n${soakLine(soakResult)}`);
  }

  mkdirSync(options.out, { recursive: true });
  const report = {
    at: new Date().toISOString(),
    node: process.version,
    generator: WRK ? 'wrk' : 'autocannon',
    pinned: TASKSET,
    against: AGAINST,
    connections: options.connections,
    seconds: options.seconds,
    fixtures: { customers: fixtures.customers, keys: fixtures.keys, resources: fixtures.resources },
    summary,
    measurements,
    soak: soakResult,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(options.out, 'latest.json'), json);
  writeFileSync(join(options.out, `${report.at.replace(/[:.]/g, '-')}.json`), json);
  console.log(`\nresults written to ${join(options.out, 'latest.json')}`);
};

try {
  // Opt-in: only `--cases audit-1m` fills the stores with a million audit records.
  if (options.cases?.includes(AUDIT_SCALE_CASE.name) === true) {
    await runAuditScale({ work, out: options.out });
  }
  if (loadCases === null || loadCases.length > 0) await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
