import { type Measurement, type Soak, type SummaryRow, saturated } from './stats.js';

/** What `npm run bench` prints, as strings: the driver only writes them out. */

export const fmt = (n: number, digits = 0): string => n.toFixed(digits);

/** The first line: how the run is measured. */
export const runLine = (run: {
  readonly generator: 'wrk' | 'autocannon';
  readonly connections: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly rounds: number;
  /** The other build's CLI with `--against`. */
  readonly against: string | null;
  readonly paired: boolean;
  readonly slices: number;
  readonly pinned: boolean;
}): string =>
  `heo-power benchmark: ${run.generator === 'wrk' ? 'wrk' : 'autocannon (wrk not installed)'}, ${run.connections} connections, ` +
  `${run.seconds}s per case after ${run.warmup}s warm-up, ${run.rounds} rounds, ` +
  (run.against !== null ? `against ${run.against}, ` : '') +
  (run.paired
    ? `each case beside its own baseline in ${run.slices} alternating slices of ${fmt(run.seconds / run.slices, 1)}s, `
    : 'one baseline run per round, ') +
  (run.pinned ? 'server on core 0, load on core 1' : 'no taskset: server and load share cores');

/** A run's line, printed as soon as it is measured. */
export const measurementLine = (m: Measurement): string =>
  `round ${m.round} ${m.case.padEnd(8)} ${fmt(m.rps).padStart(7)} req/s  p50 ${fmt(m.p50Ms, 2)} ms  p99 ${fmt(m.p99Ms, 2)} ms  ` +
  `server cpu ${fmt(m.serverCpu * 100)}%  ${fmt(m.cpuMicrosPerRequest, 1)} µs/req  rss ${fmt(m.rssMaxMb)} MB  ` +
  `generator cpu ${fmt(m.generatorCpu * 100)}%${saturated(m.generatorCpu) ? ' (GENERATOR SATURATED)' : ''}`;

/** The summary as a Markdown table, a line per case after the header and its rule. */
export const summaryTable = (rows: readonly SummaryRow[]): readonly string[] => [
  '| case | what | req/s | × baseline | per round | p50 ms | p99 ms | p99 × baseline | server CPU | CPU µs/req | max RSS MB | non-2xx |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (s) =>
      `| ${s.case} | ${s.describe} | ${fmt(s.rps)} | ${fmt(s.ratio, 2)} | ${s.ratios.map((r) => fmt(r, 2)).join(' ')} | ${fmt(s.p50Ms, 2)} | ${fmt(s.p99Ms, 2)} | ${fmt(s.p99Ratio, 2)} | ` +
      `${fmt(s.serverCpu * 100)}% | ${fmt(s.cpuMicrosPerRequest, 1)} | ${fmt(s.rssMaxMb)} | ${s.non2xx}/${s.requests}${s.generatorSaturated ? ' ⚠ generator saturated' : ''} |`,
  ),
];

/** A line per run whose audit table was checked after `kill -9`. */
export const auditLines = (measurements: readonly Measurement[]): readonly string[] =>
  measurements
    .filter((m) => m.auditRows200 !== undefined)
    .map(
      (m) =>
        `audit after kill -9 (round ${m.round}, ${m.case}): ${m.responses2xx} answered 200, ${m.auditRows200} rows with status 200`,
    );

export const soakLine = (soak: Soak): string =>
  `RSS over a ${soak.seconds}s run of the 200 path: ${fmt(soak.firstMb)} MB at start, ${fmt(soak.maxMb)} MB max, ` +
  `${fmt(soak.lastMb)} MB at the end; second-half slope ${fmt(soak.slopeMbPerMin, 2)} MB/min`;
