import type { Comparison } from './schedule.js';
import type { LoadResult } from './wrk.js';

/**
 * The arithmetic of `npm run bench`: how a case's measured slices add up to one run, how a run is
 * compared with its yardstick, and how the rounds make the summary row that every ratio in
 * docs/performance.md comes from. Plain functions of their arguments.
 */

/** A generator above this share of a core measures itself more than the server. */
export const GENERATOR_SATURATED = 0.8;

export const saturated = (generatorCpu: number): boolean => generatorCpu > GENERATOR_SATURATED;

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export const mean = (xs: readonly number[]): number => sum(xs) / xs.length;

/** The middle value (the mean of the two middle ones): one disturbed round cannot move it. */
export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** One measured stretch of load, as the driver took it. */
export interface TimedLoad extends LoadResult {
  /** When it started, ms since the epoch. */
  readonly startedAt: number;
  /** CPU seconds the server used during it. */
  readonly serverCpuSeconds: number;
}

export interface Slice {
  readonly startedAt: number;
  readonly rps: number;
  readonly p99Ms: number;
}

/** What a run is compared with: its yardstick's requests/s and p99. */
export interface Yardstick {
  readonly rps: number;
  readonly p99Ms: number;
}

export interface Measurement extends LoadResult {
  readonly case: string;
  readonly round: number;
  /** The baseline run this case is compared with (paired runs: the one interleaved with it). */
  readonly baseline?: Yardstick;
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

/** Responses of a load that did not have the status a case expects (any 2xx counts as 200). */
export const unexpectedResponses = (expect: number, load: LoadResult): number =>
  expect === 200 ? load.non2xx : load.requests - load.non2xx;

/** The 2xx responses of these loads, which the audit table must each hold a row for. */
export const answered2xx = (loads: readonly LoadResult[]): number =>
  loads.reduce((a, r) => a + r.requests - r.non2xx, 0);

/**
 * One run of a case from its measured slices: requests/s over the slices' total seconds (not the
 * mean of their rates), the mean of their percentiles (slices are of equal length), the busiest
 * slice's generator CPU (so that one saturated stretch is flagged), the server's CPU per second and
 * per request, and its largest RSS sample.
 */
export const measure = (run: {
  readonly case: string;
  readonly round: number;
  readonly slices: readonly TimedLoad[];
  readonly rssMb: readonly number[];
}): Measurement => {
  const { slices } = run;
  const total = (pick: (r: TimedLoad) => number) => slices.reduce((a, r) => a + pick(r), 0);
  const seconds = total((r) => r.seconds);
  const requests = total((r) => r.requests);
  const cpu = total((r) => r.serverCpuSeconds);
  return {
    requests,
    seconds,
    non2xx: total((r) => r.non2xx),
    socketErrors: total((r) => r.socketErrors),
    p50Ms: total((r) => r.p50Ms) / slices.length,
    p99Ms: total((r) => r.p99Ms) / slices.length,
    generatorCpu: Math.max(...slices.map((r) => r.generatorCpu)),
    slices: slices.map((r) => ({
      startedAt: r.startedAt,
      rps: r.requests / r.seconds,
      p99Ms: r.p99Ms,
    })),
    case: run.case,
    round: run.round,
    rps: requests / seconds,
    serverCpu: cpu / seconds,
    cpuMicrosPerRequest: (cpu / requests) * 1e6,
    rssMaxMb: Math.max(...run.rssMb),
  };
};

/** A run with the yardstick it is compared with. */
export const against = (run: Measurement, yardstick: Yardstick): Measurement => ({
  ...run,
  baseline: { rps: yardstick.rps, p99Ms: yardstick.p99Ms },
});

/** What a session produced: a paired one its yardstick's run and the case's. */
export type SessionResult =
  | {
      readonly compare: Extract<Comparison, 'turns'>;
      readonly yardstick: Measurement;
      readonly measured: Measurement;
    }
  | { readonly compare: Exclude<Comparison, 'turns'>; readonly measured: Measurement };

/**
 * A round's runs in the order they were taken (a yardstick before its case), each case's with the
 * run its ratio is against: paired, the yardstick of its own session; unpaired, the round's
 * baseline run.
 */
export const compareInRound = (results: readonly SessionResult[]): readonly Measurement[] => {
  const roundBaseline = results.find((r) => r.compare === 'none')?.measured;
  return results.flatMap((r) => {
    if (r.compare === 'turns') return [r.yardstick, against(r.measured, r.yardstick)];
    if (r.compare === 'round' && roundBaseline !== undefined) {
      return [against(r.measured, roundBaseline)];
    }
    return [r.measured];
  });
};

/** A run's requests/s over its yardstick's; a run without one (the yardstick itself) is 1. */
export const rpsRatio = (run: Measurement): number => run.rps / (run.baseline?.rps ?? run.rps);

/** A run's p99 over its yardstick's; lower is better. */
export const p99Ratio = (run: Measurement): number =>
  run.p99Ms / (run.baseline?.p99Ms ?? run.p99Ms);

export interface SummaryRow {
  readonly case: string;
  readonly describe: string;
  /** Mean over the rounds. */
  readonly rps: number;
  /** The median of the rounds' ratios. */
  readonly ratio: number;
  /** Each round's ratio, in the order the rounds ran: how far they agree. */
  readonly ratios: readonly number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The median of the rounds' p99 ratios. */
  readonly p99Ratio: number;
  readonly serverCpu: number;
  readonly cpuMicrosPerRequest: number;
  readonly rssMaxMb: number;
  readonly non2xx: number;
  readonly requests: number;
  readonly generatorSaturated: boolean;
}

/**
 * A case's line of the summary from its runs over all rounds. The yardstick's own row has no
 * per-round ratios: it is 1 by definition.
 */
export const summaryRow = (
  spec: { readonly name: string; readonly describe: string; readonly yardstick: boolean },
  runs: readonly Measurement[],
): SummaryRow => {
  const ratios = spec.yardstick ? [1] : runs.map(rpsRatio);
  return {
    case: spec.name,
    describe: spec.describe,
    rps: mean(runs.map((m) => m.rps)),
    ratio: median(ratios),
    ratios,
    p50Ms: mean(runs.map((m) => m.p50Ms)),
    p99Ms: mean(runs.map((m) => m.p99Ms)),
    p99Ratio: median(runs.map(p99Ratio)),
    serverCpu: mean(runs.map((m) => m.serverCpu)),
    cpuMicrosPerRequest: mean(runs.map((m) => m.cpuMicrosPerRequest)),
    rssMaxMb: Math.max(...runs.map((m) => m.rssMaxMb)),
    non2xx: runs.reduce((a, m) => a + m.non2xx, 0),
    requests: runs.reduce((a, m) => a + m.requests, 0),
    generatorSaturated: runs.some((m) => saturated(m.generatorCpu)),
  };
};

/** The summary, a row per case in the order given, each from the runs under its name. */
export const summarise = (
  specs: readonly {
    readonly name: string;
    readonly describe: string;
    readonly yardstick: boolean;
  }[],
  measurements: readonly Measurement[],
): readonly SummaryRow[] =>
  specs.map((spec) =>
    summaryRow(
      spec,
      measurements.filter((m) => m.case === spec.name),
    ),
  );

export interface Soak {
  readonly seconds: number;
  /** RSS samples in MB, one a second. */
  readonly rss: readonly number[];
  /** The second sample: the first is taken before any load. */
  readonly firstMb: number;
  readonly maxMb: number;
  readonly lastMb: number;
  /** Growth over the second half of the run, MB per minute (least squares). */
  readonly slopeMbPerMin: number;
}

/** Least-squares slope of evenly spaced samples, per step from one sample to the next. */
export const slope = (ys: readonly number[]): number => {
  const n = ys.length;
  const meanX = (n - 1) / 2;
  const meanY = sum(ys) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
};

/** The RSS run of the 200 path, from its samples taken `intervalSeconds` apart. */
export const soakSummary = (
  seconds: number,
  rss: readonly number[],
  intervalSeconds = 1,
): Soak => ({
  seconds,
  rss,
  firstMb: rss[1] ?? 0,
  maxMb: Math.max(...rss),
  lastMb: rss.at(-1) ?? 0,
  slopeMbPerMin: (slope(rss.slice(Math.floor(rss.length / 2))) / intervalSeconds) * 60,
});
