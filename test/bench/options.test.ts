import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/options.js';

const CASES = [
  { name: 'baseline', describe: 'bare node:http, same JSON' },
  { name: '200', describe: 'accepted power action, SQLite + simulator' },
  { name: '401', describe: 'unknown keys' },
  { name: '429', describe: 'key over its limit' },
];

const refusal = (...argv: string[]): string => {
  const parsed = parseBenchArgs(argv, CASES);
  if (parsed.kind !== 'refused') throw new Error(`not refused: ${JSON.stringify(parsed)}`);
  return parsed.message;
};

const options = (...argv: string[]) => {
  const parsed = parseBenchArgs(argv, CASES);
  if (parsed.kind !== 'run') throw new Error(`not a run: ${JSON.stringify(parsed)}`);
  return parsed.options;
};

describe('npm run bench: the command line', () => {
  it('runs every case with the documented defaults when given nothing', () => {
    expect(options()).toEqual({
      seconds: 10,
      slice: 2,
      warmup: 3,
      soak: 60,
      connections: 50,
      customers: 250,
      rounds: 2,
      cases: null,
      out: 'bench/results',
      profile: false,
      paired: true,
      against: null,
    });
  });

  it('takes every option', () => {
    expect(
      options(
        '--seconds',
        '4',
        '--slice',
        '0.5',
        '--warmup',
        '0',
        '--soak',
        '0',
        '--connections',
        '8',
        '--customers',
        '3',
        '--rounds',
        '5',
        '--cases',
        '200,401',
        '--out',
        '/tmp/x',
        '--profile',
        '--against',
        '../old',
      ),
    ).toEqual({
      seconds: 4,
      slice: 0.5,
      warmup: 0,
      soak: 0,
      connections: 8,
      customers: 3,
      rounds: 5,
      cases: ['200', '401'],
      out: '/tmp/x',
      profile: true,
      paired: true,
      against: '../old',
    });
    expect(options('--unpaired').paired).toBe(false);
  });

  it('cuts a slice longer than the measured seconds down to them', () => {
    expect(options('--seconds', '1', '--slice', '2', '--cases', '200')).toMatchObject({
      seconds: 1,
      slice: 1,
    });
  });

  it('prints the options and every case with --help or -h, and nothing else is checked', () => {
    for (const argv of [['--help'], ['-h'], ['--seconds', 'abc', '--help']]) {
      const parsed = parseBenchArgs(argv, CASES);
      expect(parsed.kind).toBe('help');
      if (parsed.kind !== 'help') continue;
      expect(parsed.text).toMatch(/^usage: npm run bench -- \[options\]\n/);
      expect(parsed.text).toContain('  --against <dir>    take turns with the same case');
      expect(parsed.text).toContain('  200            accepted power action, SQLite + simulator\n');
      expect(parsed.text).toContain('  429            key over its limit\n');
    }
  });

  it('refuses unknown options, stray arguments and options without their value', () => {
    expect(refusal('--bogus')).toMatch(/^Unknown option '--bogus'/);
    expect(refusal('200')).toMatch(/^Unexpected argument '200'/);
    expect(refusal('--seconds')).toMatch(/^Option '--seconds <value>' argument missing/);
  });

  it('refuses a value that is not a number of the kind an option takes', () => {
    expect(refusal('--seconds', 'abc')).toBe('--seconds takes a number of at least 0.1, not "abc"');
    expect(refusal('--seconds', '0')).toBe('--seconds takes a number of at least 0.1, not "0"');
    expect(refusal('--warmup=-1')).toBe('--warmup takes a number of at least 0, not "-1"');
    expect(refusal('--rounds', '1.5')).toBe(
      '--rounds takes a whole number of at least 1, not "1.5"',
    );
    expect(refusal('--connections', '0')).toBe(
      '--connections takes a whole number of at least 1, not "0"',
    );
    expect(refusal('--customers', 'Infinity')).toBe(
      '--customers takes a whole number of at least 1, not "Infinity"',
    );
  });

  it('refuses case names it does not have, and names the ones it has', () => {
    expect(refusal('--cases', '200,nope,40')).toBe(
      'no such case: nope, 40 (cases: baseline, 200, 401, 429)',
    );
  });

  it('refuses --against without the paired turns it compares in', () => {
    expect(refusal('--against', '.', '--unpaired')).toBe(
      '--against needs the paired turns: leave out --unpaired',
    );
  });

  it("refuses a 429 case that would outlast its keys' one-minute windows", () => {
    // 3 s warm-up, then 2 × (30 + 2) s of turns with the baseline.
    expect(refusal('--seconds', '30')).toBe(
      "the 429 case would run 67 s after its warm-up began, past its keys' one-minute windows " +
        '(at most 55 s): lower --seconds or --warmup, or leave out 429',
    );
    expect(refusal('--seconds', '30', '--cases', '200,429')).toMatch(
      /^the 429 case would run 67 s/,
    );
    // Without 429, or unpaired (3 + 30 s), the same seconds are fine.
    expect(options('--seconds', '30', '--cases', '200').seconds).toBe(30);
    expect(options('--seconds', '30', '--unpaired').seconds).toBe(30);
  });
});
