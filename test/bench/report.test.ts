import { describe, expect, it } from 'vitest';
import {
  auditLines,
  measurementLine,
  runLine,
  soakLine,
  summaryTable,
} from '../../bench/report.js';
import type { Measurement, SummaryRow } from '../../bench/stats.js';

const measurement: Measurement = {
  requests: 22207,
  seconds: 1,
  non2xx: 0,
  socketErrors: 0,
  p50Ms: 2,
  p99Ms: 5,
  generatorCpu: 0.47,
  slices: [],
  case: '200',
  round: 1,
  rps: 22207.4,
  serverCpu: 0.54,
  cpuMicrosPerRequest: 24.43,
  rssMaxMb: 128.2,
};

const row: SummaryRow = {
  case: '200',
  describe: 'accepted power action, SQLite + simulator',
  rps: 22854.2,
  ratio: 0.771,
  ratios: [0.746, 0.794],
  p50Ms: 1.5,
  p99Ms: 5.25,
  p99Ratio: 1.75,
  serverCpu: 0.53,
  cpuMicrosPerRequest: 23.26,
  rssMaxMb: 129.9,
  non2xx: 0,
  requests: 91875,
  generatorSaturated: false,
};

describe('npm run bench: what it prints', () => {
  it('says how the run is measured', () => {
    const run = {
      generator: 'autocannon',
      connections: 50,
      seconds: 1,
      warmup: 0.5,
      rounds: 2,
      against: null,
      paired: true,
      slices: 2,
      pinned: true,
    } as const;
    expect(runLine(run)).toBe(
      'heo-power benchmark: autocannon (wrk not installed), 50 connections, 1s per case after 0.5s warm-up, 2 rounds, ' +
        'each case beside its own baseline in 2 alternating slices of 0.5s, server on core 0, load on core 1',
    );
    expect(
      runLine({
        ...run,
        generator: 'wrk',
        seconds: 10,
        slices: 3,
        against: '/old/dist/cli/main.js',
        pinned: false,
      }),
    ).toBe(
      'heo-power benchmark: wrk, 50 connections, 10s per case after 0.5s warm-up, 2 rounds, against /old/dist/cli/main.js, ' +
        'each case beside its own baseline in 3 alternating slices of 3.3s, no taskset: server and load share cores',
    );
    expect(runLine({ ...run, paired: false })).toContain(
      ', 2 rounds, one baseline run per round, server on core 0',
    );
  });

  it('prints a line per run as it is measured, flagging a saturated generator', () => {
    expect(measurementLine(measurement)).toBe(
      'round 1 200        22207 req/s  p50 2.00 ms  p99 5.00 ms  server cpu 54%  24.4 µs/req  rss 128 MB  generator cpu 47%',
    );
    expect(measurementLine({ ...measurement, case: 'baseline', generatorCpu: 0.85 })).toBe(
      'round 1 baseline   22207 req/s  p50 2.00 ms  p99 5.00 ms  server cpu 54%  24.4 µs/req  rss 128 MB  generator cpu 85% (GENERATOR SATURATED)',
    );
  });

  it('prints the summary as a Markdown table, each round ratio to two places', () => {
    expect(summaryTable([row, { ...row, case: '401', generatorSaturated: true }])).toEqual([
      '| case | what | req/s | × baseline | per round | p50 ms | p99 ms | p99 × baseline | server CPU | CPU µs/req | max RSS MB | non-2xx |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      '| 200 | accepted power action, SQLite + simulator | 22854 | 0.77 | 0.75 0.79 | 1.50 | 5.25 | 1.75 | 53% | 23.3 | 130 | 0/91875 |',
      '| 401 | accepted power action, SQLite + simulator | 22854 | 0.77 | 0.75 0.79 | 1.50 | 5.25 | 1.75 | 53% | 23.3 | 130 | 0/91875 ⚠ generator saturated |',
    ]);
  });

  it('prints the audit check of every run that had one, and the RSS run', () => {
    expect(
      auditLines([
        measurement,
        { ...measurement, round: 2, auditRows200: 83086, responses2xx: 82886 },
      ]),
    ).toEqual([
      'audit after kill -9 (round 2, 200): 82886 answered 200, 83086 rows with status 200',
    ]);
    expect(
      soakLine({
        seconds: 60,
        rss: [],
        firstMb: 128.4,
        maxMb: 129.2,
        lastMb: 128.9,
        slopeMbPerMin: 0.126,
      }),
    ).toBe(
      'RSS over a 60s run of the 200 path: 128 MB at start, 129 MB max, 129 MB at the end; second-half slope 0.13 MB/min',
    );
  });
});
