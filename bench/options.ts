import { parseArgs } from 'node:util';

/** What `npm run bench` was asked to do. */
export interface BenchOptions {
  /** Measured seconds per case. */
  readonly seconds: number;
  /** Seconds per slice of a case and its baseline taking turns (at most `seconds`). */
  readonly slice: number;
  readonly warmup: number;
  /** Seconds of the RSS run of the 200 path after the rounds; 0 skips it. */
  readonly soak: number;
  readonly connections: number;
  readonly customers: number;
  readonly rounds: number;
  /** Only these cases (and the baseline); `null`: every case. */
  readonly cases: readonly string[] | null;
  readonly out: string;
  readonly profile: boolean;
  /** `false` with `--unpaired`. */
  readonly paired: boolean;
  /** The other checkout's directory (`--against`), as given. */
  readonly against: string | null;
}

/** A case as the command line knows it. */
export interface CaseName {
  readonly name: string;
  readonly describe: string;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: BenchOptions }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'refused'; readonly message: string };

/** Seconds of a one-minute rate-limit window that the 429 case may use, leaving room for starts. */
export const LIMIT_WINDOW_S = 55;

const OPTIONS = {
  seconds: { type: 'string', default: '10' },
  slice: { type: 'string', default: '2' },
  warmup: { type: 'string', default: '3' },
  soak: { type: 'string', default: '60' },
  connections: { type: 'string', default: '50' },
  customers: { type: 'string', default: '250' },
  rounds: { type: 'string', default: '2' },
  cases: { type: 'string' },
  out: { type: 'string', default: 'bench/results' },
  profile: { type: 'boolean', default: false },
  unpaired: { type: 'boolean', default: false },
  against: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const usage = (cases: readonly CaseName[]): string => `usage: npm run bench -- [options]

  --seconds <n>      measured seconds per case (default 10)
  --warmup <n>       warm-up seconds per case and per baseline server (default 3)
  --rounds <n>       rounds; even rounds run the cases in reverse order (default 2)
  --connections <n>  concurrent connections of the load generator (default 50)
  --customers <n>    customers seeded, each with 2 machines and 2 keys (default 250)
  --soak <n>         seconds of the RSS run of the 200 path; 0 skips it (default 60)
  --cases <a,b>      only these cases (and the baseline)
  --slice <n>        seconds per slice of a case and its baseline taking turns (default 2)
  --unpaired         measure the baseline once per round instead of beside every case
  --out <dir>        where latest.json and a time-stamped copy go (default bench/results)
  --profile          run the servers under --cpu-prof, a .cpuprofile per case into --out
  --against <dir>    take turns with the same case on another built checkout
  -h, --help         this text

cases:
${cases.map((c) => `  ${c.name.padEnd(14)} ${c.describe}`).join('\n')}

docs/performance.md explains the method and the cases.`;

type NumericOption =
  'seconds' | 'slice' | 'warmup' | 'soak' | 'connections' | 'customers' | 'rounds';

const isParseArgsError = (error: unknown): error is TypeError =>
  error instanceof TypeError &&
  'code' in error &&
  typeof error.code === 'string' &&
  error.code.startsWith('ERR_PARSE_ARGS_');

/** Thrown inside `parseBenchArgs` for a mistake on the command line; never escapes it. */
class Refusal extends Error {}

/**
 * The command line of `npm run bench`, checked before anything starts: an unknown option, a
 * value that is not a number where one is needed, an unknown case, or a combination the run
 * cannot honour comes back as a refusal to print, not as a run that fails halfway.
 */
export const parseBenchArgs = (argv: readonly string[], cases: readonly CaseName[]): ParsedArgs => {
  try {
    return parse(argv, cases);
  } catch (error) {
    if (error instanceof Refusal) return { kind: 'refused', message: error.message };
    // parseArgs' own errors (unknown option, missing value) say what was wrong.
    if (isParseArgsError(error)) return { kind: 'refused', message: error.message };
    throw error;
  }
};

const parse = (argv: readonly string[], cases: readonly CaseName[]): ParsedArgs => {
  const { values } = parseArgs({ args: [...argv], options: OPTIONS });
  if (values.help) return { kind: 'help', text: usage(cases) };

  const number = (name: NumericOption, min: number, whole = false): number => {
    const text = values[name];
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || (whole && !Number.isInteger(value))) {
      const kind = whole ? 'a whole number' : 'a number';
      throw new Refusal(`--${name} takes ${kind} of at least ${min}, not "${text}"`);
    }
    return value;
  };
  const seconds = number('seconds', 0.1);
  const options: BenchOptions = {
    seconds,
    slice: Math.min(number('slice', 0.1), seconds),
    warmup: number('warmup', 0),
    soak: number('soak', 0),
    connections: number('connections', 1, true),
    customers: number('customers', 1, true),
    rounds: number('rounds', 1, true),
    cases: values.cases === undefined ? null : values.cases.split(',').filter((n) => n !== ''),
    out: values.out,
    profile: values.profile,
    paired: !values.unpaired,
    against: values.against ?? null,
  };

  const unknown = (options.cases ?? []).filter((name) => !cases.some((c) => c.name === name));
  if (unknown.length > 0) {
    const known = cases.map((c) => c.name).join(', ');
    throw new Refusal(`no such case: ${unknown.join(', ')} (cases: ${known})`);
  }
  if (options.against !== null && !options.paired) {
    throw new Refusal('--against needs the paired turns: leave out --unpaired');
  }
  // The 429 case's keys must stay over their limit from the warm-up to its last slice.
  const limitedFor =
    options.warmup + (options.paired ? 2 * (options.seconds + options.slice) : options.seconds);
  if ((options.cases?.includes('429') ?? true) && limitedFor > LIMIT_WINDOW_S) {
    throw new Refusal(
      `the 429 case would run ${limitedFor} s after its warm-up began, past its keys' one-minute ` +
        `windows (at most ${LIMIT_WINDOW_S} s): lower --seconds or --warmup, or leave out 429`,
    );
  }
  return { kind: 'run', options };
};
