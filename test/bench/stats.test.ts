import { describe, expect, it } from 'vitest';
import {
  against,
  answered2xx,
  compareInRound,
  mean,
  type Measurement,
  measure,
  median,
  p99Ratio,
  rpsRatio,
  saturated,
  slope,
  soakSummary,
  summarise,
  summaryRow,
  type TimedLoad,
  unexpectedResponses,
} from '../../bench/stats.js';

const slice = (fields: Partial<TimedLoad>): TimedLoad => ({
  requests: 0,
  seconds: 1,
  non2xx: 0,
  socketErrors: 0,
  p50Ms: 0,
  p99Ms: 0,
  generatorCpu: 0,
  startedAt: 0,
  serverCpuSeconds: 0,
  ...fields,
});

/** A run as `measure` makes it, with only the numbers a test cares about set. */
const run = (fields: Partial<Measurement>): Measurement => ({
  requests: 0,
  seconds: 1,
  non2xx: 0,
  socketErrors: 0,
  p50Ms: 0,
  p99Ms: 1,
  generatorCpu: 0,
  slices: [],
  case: '200',
  round: 1,
  rps: 1,
  serverCpu: 0,
  cpuMicrosPerRequest: 0,
  rssMaxMb: 0,
  ...fields,
});

describe('npm run bench: the arithmetic', () => {
  it('takes the middle value, or the mean of the two middle ones, without sorting its input', () => {
    const xs = [0.9, 0.5, 1.1];
    expect(median(xs)).toBe(0.9);
    expect(xs).toEqual([0.9, 0.5, 1.1]);
    expect(median([0.9, 0.5, 1.1, 0.7])).toBe(0.8);
    expect(median([10, 2])).toBe(6);
    expect(median([5])).toBe(5);
    // Numbers, not strings: 10 sorts after 9.
    expect(median([9, 10, 100])).toBe(10);
    expect(median([])).toBe(0);
    expect(mean([1, 2, 6])).toBe(3);
  });

  it('counts the responses that did not have the status a case expects', () => {
    const load = slice({ requests: 10, non2xx: 3 });
    expect(unexpectedResponses(200, load)).toBe(3);
    expect(unexpectedResponses(401, load)).toBe(7);
    expect(unexpectedResponses(429, slice({ requests: 10, non2xx: 10 }))).toBe(0);
    expect(answered2xx([load, slice({ requests: 5 })])).toBe(12);
  });

  it('adds up slices by their requests over their seconds, not by the mean of their rates', () => {
    const m = measure({
      case: '200',
      round: 2,
      slices: [
        slice({
          requests: 1000,
          seconds: 0.25,
          non2xx: 2,
          socketErrors: 1,
          p50Ms: 1,
          p99Ms: 3,
          generatorCpu: 0.5,
          startedAt: 1000,
          serverCpuSeconds: 0.25,
        }),
        slice({
          requests: 1000,
          seconds: 0.75,
          socketErrors: 2,
          p50Ms: 2,
          p99Ms: 6,
          generatorCpu: 0.75,
          startedAt: 2000,
          serverCpuSeconds: 0.5,
        }),
      ],
      rssMb: [60, 80, 70],
    });
    expect(m).toEqual({
      requests: 2000,
      seconds: 1,
      non2xx: 2,
      socketErrors: 3,
      p50Ms: 1.5,
      p99Ms: 4.5,
      generatorCpu: 0.75,
      slices: [
        { startedAt: 1000, rps: 4000, p99Ms: 3 },
        { startedAt: 2000, rps: 1000 / 0.75, p99Ms: 6 },
      ],
      case: '200',
      round: 2,
      // The mean of the slices' rates would be 2666.67.
      rps: 2000,
      serverCpu: 0.75,
      cpuMicrosPerRequest: 375,
      rssMaxMb: 80,
    });
    // latest.json keeps this order.
    expect(Object.keys(m)).toEqual([
      'requests',
      'seconds',
      'non2xx',
      'socketErrors',
      'p50Ms',
      'p99Ms',
      'generatorCpu',
      'slices',
      'case',
      'round',
      'rps',
      'serverCpu',
      'cpuMicrosPerRequest',
      'rssMaxMb',
    ]);
  });

  it('forms a ratio from a run and the yardstick it took turns with', () => {
    const m = against(run({ rps: 1500, p99Ms: 6 }), run({ rps: 2000, p99Ms: 4, round: 7 }));
    expect(m.baseline).toEqual({ rps: 2000, p99Ms: 4 });
    expect(Object.keys(m).at(-1)).toBe('baseline');
    expect(rpsRatio(m)).toBe(0.75);
    expect(p99Ratio(m)).toBe(1.5);
    // The yardstick's own run is 1 against itself.
    expect(rpsRatio(run({ rps: 2000, p99Ms: 4 }))).toBe(1);
    expect(p99Ratio(run({ rps: 2000, p99Ms: 4 }))).toBe(1);
  });

  it('paired, compares each case with the yardstick of its own session, yardstick first', () => {
    const y1 = run({ case: 'baseline', rps: 2000, p99Ms: 4 });
    const c1 = run({ case: '200', rps: 1500, p99Ms: 6 });
    const y2 = run({ case: 'baseline', rps: 3000, p99Ms: 3 });
    const c2 = run({ case: '401', rps: 2700, p99Ms: 3 });
    const round = compareInRound([
      { compare: 'turns', yardstick: y1, measured: c1 },
      { compare: 'turns', yardstick: y2, measured: c2 },
    ]);
    expect(round.map((m) => [m.case, m.baseline])).toEqual([
      ['baseline', undefined],
      ['200', { rps: 2000, p99Ms: 4 }],
      ['baseline', undefined],
      ['401', { rps: 3000, p99Ms: 3 }],
    ]);
    expect('baseline' in (round[0] ?? {})).toBe(false);
    expect(round.map(rpsRatio)).toEqual([1, 0.75, 1, 0.9]);
  });

  it("unpaired, compares every case of a round with that round's baseline, before or after it", () => {
    const b = run({ case: 'baseline', rps: 4000, p99Ms: 2 });
    const round = compareInRound([
      { compare: 'round', measured: run({ case: '401', rps: 3000 }) },
      { compare: 'round', measured: run({ case: '200', rps: 1000 }) },
      { compare: 'none', measured: b },
    ]);
    expect(round.map((m) => [m.case, m.baseline?.rps])).toEqual([
      ['401', 4000],
      ['200', 4000],
      ['baseline', undefined],
    ]);
    expect(round.map(rpsRatio)).toEqual([0.75, 0.25, 1]);
    // Without a baseline in the round there is nothing to compare with.
    expect(
      compareInRound([{ compare: 'round', measured: run({ rps: 3000 }) }])[0]?.baseline,
    ).toBeUndefined();
  });

  it("sums a case up as the median of its rounds' ratios, not the ratio of its mean rates", () => {
    const rounds = [
      against(run({ round: 1, rps: 1000, p99Ms: 8, p50Ms: 2 }), { rps: 2000, p99Ms: 4 }),
      against(run({ round: 2, rps: 2700, p99Ms: 3, p50Ms: 1 }), { rps: 3000, p99Ms: 3 }),
      against(run({ round: 3, rps: 1100, p99Ms: 5, p50Ms: 3 }), { rps: 1000, p99Ms: 4 }),
    ];
    const row = summaryRow({ name: '200', describe: 'accepted', yardstick: false }, rounds);
    // Mean rates would give 1600 / 2000 = 0.8, the ratio of median rates 1100 / 2000 = 0.55.
    expect(row.ratio).toBe(0.9);
    expect(row.ratios).toEqual([0.5, 0.9, 1.1]);
    expect(row.p99Ratio).toBe(1.25);
    expect(row.rps).toBe(1600);
    expect(row.p50Ms).toBe(2);
    expect(row.p99Ms).toBe(16 / 3);
    const four = summaryRow({ name: '200', describe: 'accepted', yardstick: false }, [
      ...rounds,
      against(run({ round: 4, rps: 700 }), { rps: 1000, p99Ms: 1 }),
    ]);
    expect(four.ratio).toBe(0.8);
  });

  it('adds up the rest of a row over the rounds: means, the largest RSS, totals, saturation', () => {
    const rounds = [
      run({
        serverCpu: 0.5,
        cpuMicrosPerRequest: 20,
        rssMaxMb: 120,
        non2xx: 1,
        requests: 100,
        generatorCpu: 0.8,
      }),
      run({
        serverCpu: 0.75,
        cpuMicrosPerRequest: 30,
        rssMaxMb: 130,
        non2xx: 2,
        requests: 200,
        generatorCpu: 0.2,
      }),
    ];
    const row = summaryRow({ name: '200', describe: 'accepted', yardstick: false }, rounds);
    expect(row).toMatchObject({
      serverCpu: 0.625,
      cpuMicrosPerRequest: 25,
      rssMaxMb: 130,
      non2xx: 3,
      requests: 300,
      // 80% of a core is still measuring the server.
      generatorSaturated: false,
    });
    expect(saturated(0.8)).toBe(false);
    expect(saturated(0.81)).toBe(true);
    const hot = summaryRow({ name: '200', describe: '', yardstick: false }, [
      ...rounds,
      run({ generatorCpu: 0.9 }),
    ]);
    expect(hot.generatorSaturated).toBe(true);
  });

  it("gives the yardstick's row a ratio of 1 and its rounds' mean rate", () => {
    const row = summaryRow({ name: 'baseline', describe: 'bare node:http', yardstick: true }, [
      run({ case: 'baseline', rps: 2000, p99Ms: 4 }),
      run({ case: 'baseline', rps: 3000, p99Ms: 3 }),
      run({ case: 'baseline', rps: 4000, p99Ms: 2 }),
    ]);
    expect(row).toMatchObject({ ratio: 1, ratios: [1], p99Ratio: 1, rps: 3000, p99Ms: 3 });
    // latest.json keeps this order.
    expect(Object.keys(row)).toEqual([
      'case',
      'describe',
      'rps',
      'ratio',
      'ratios',
      'p50Ms',
      'p99Ms',
      'p99Ratio',
      'serverCpu',
      'cpuMicrosPerRequest',
      'rssMaxMb',
      'non2xx',
      'requests',
      'generatorSaturated',
    ]);
  });

  it('makes a row per case in the order given, each from the runs under its name', () => {
    const measurements = compareInRound([
      {
        compare: 'turns',
        yardstick: run({ case: 'baseline', rps: 2000 }),
        measured: run({ case: '200', rps: 1000 }),
      },
      {
        compare: 'turns',
        yardstick: run({ case: 'baseline', rps: 4000 }),
        measured: run({ case: '401', rps: 3000 }),
      },
    ]);
    const rows = summarise(
      [
        { name: 'baseline', describe: 'b', yardstick: true },
        { name: '401', describe: 'u', yardstick: false },
        { name: '200', describe: 'a', yardstick: false },
      ],
      measurements,
    );
    expect(rows.map((r) => [r.case, r.describe, r.rps, r.ratios])).toEqual([
      ['baseline', 'b', 3000, [1]],
      ['401', 'u', 3000, [0.75]],
      ['200', 'a', 1000, [0.5]],
    ]);
  });

  it('fits the least-squares slope of evenly spaced samples', () => {
    expect(slope([1, 2, 3])).toBe(1);
    expect(slope([3, 1])).toBe(-2);
    expect(slope([61, 62, 64])).toBe(1.5);
    expect(slope([5, 5, 5])).toBe(0);
    expect(slope([5])).toBe(0);
  });

  it('sums up the RSS run from its second sample and the slope of its second half', () => {
    // The second half is 61, 62, 64: 1.5 MB a second.
    expect(soakSummary(4, [50, 60, 61, 62, 64])).toEqual({
      seconds: 4,
      rss: [50, 60, 61, 62, 64],
      firstMb: 60,
      maxMb: 64,
      lastMb: 64,
      slopeMbPerMin: 90,
    });
    expect(soakSummary(8, [50, 60, 61, 62, 64], 2).slopeMbPerMin).toBe(45);
    expect(soakSummary(0, [50])).toMatchObject({ firstMb: 0, maxMb: 50, slopeMbPerMin: 0 });
  });
});
