/**
 * When each case of `npm run bench` runs, beside what and for how long, as data: which cases a run
 * takes, the order of each round (even rounds reversed), and every step of a case's session (its
 * servers started and warmed up, then the turns under load, which of them are measured). The
 * driver carries the steps out one by one; nothing here starts, waits or measures.
 */

/** What a run's schedule depends on (the command line's numbers). */
export interface ScheduleOptions {
  /** Measured seconds per case. */
  readonly seconds: number;
  /** Seconds per slice asked for; the slices are then made equal (see `sliceCount`). */
  readonly slice: number;
  /** Warm-up seconds of every server, right after it answers. */
  readonly warmup: number;
  readonly rounds: number;
  /** Each case beside a yardstick of its own (the default), or the baseline once per round. */
  readonly paired: boolean;
}

/** The two servers of a paired session: the case measured, and the yardstick it takes turns with. */
export type Side = 'case' | 'yardstick';

export type Step =
  /** Start this side's server and warm it up for `warmup` seconds (not measured). */
  | { readonly kind: 'start'; readonly side: Side; readonly warmup: number }
  /** Load this side's server for `seconds`; an unmeasured turn only settles it. */
  | {
      readonly kind: 'load';
      readonly side: Side;
      readonly seconds: number;
      readonly measured: boolean;
    };

/**
 * What a session's case is compared with: `turns`, the yardstick's measured turns in the same
 * session; `round`, the baseline's session of the same round (unpaired); `none`, the baseline
 * itself, which is the yardstick.
 */
export type Comparison = 'turns' | 'round' | 'none';

/** One case in one round: its servers from start to the last measured turn. */
export interface Session<C> {
  readonly round: number;
  readonly spec: C;
  readonly compare: Comparison;
  readonly steps: readonly Step[];
}

/** The slices a case's measured seconds are cut into: as near `slice` long as whole slices allow. */
export const sliceCount = (seconds: number, slice: number): number =>
  Math.max(1, Math.round(seconds / slice));

/** Seconds of each slice (all alike). */
export const sliceSeconds = (seconds: number, slice: number): number =>
  seconds / sliceCount(seconds, slice);

/** The cases in the order a round runs them: odd rounds as listed, even rounds reversed. */
export const roundOrder = <C>(cases: readonly C[], round: number): readonly C[] =>
  round % 2 === 1 ? [...cases] : [...cases].reverse();

/**
 * Which server goes first in a slice of a paired session: ABBA (case, yardstick, yardstick, case,
 * ... in round 1; the other way round in round 2), so that a steady drift of the host's speed falls
 * on both sides alike. Slice -1 is the unmeasured turn before the first measured slice.
 */
export const turnOrder = (slice: number, round: number): readonly Side[] =>
  (slice + round) % 2 === 0 ? ['yardstick', 'case'] : ['case', 'yardstick'];

/** A case alone: started, warmed up, then measured in one stretch. */
export const aloneSteps = (options: ScheduleOptions): readonly Step[] => [
  { kind: 'start', side: 'case', warmup: options.warmup },
  { kind: 'load', side: 'case', seconds: options.seconds, measured: true },
];

/**
 * A case and its yardstick side by side: the yardstick started and warmed up, then the case, then
 * one unmeasured turn each, so that the first measured slice of either server follows a turn of
 * the other like every later one (not a warm-up or a long idle spell: the first slices used to
 * hold most of a run's slow ones, with a warm-up of 3 s and of 8 s alike), then the measured
 * slices, all in the ABBA order of `turnOrder`.
 */
export const pairedSteps = (options: ScheduleOptions, round: number): readonly Step[] => {
  const count = sliceCount(options.seconds, options.slice);
  const seconds = options.seconds / count;
  const turns = (slice: number, measured: boolean): Step[] =>
    turnOrder(slice, round).map((side) => ({ kind: 'load', side, seconds, measured }));
  const steps: Step[] = [
    { kind: 'start', side: 'yardstick', warmup: options.warmup },
    { kind: 'start', side: 'case', warmup: options.warmup },
    ...turns(-1, false),
  ];
  for (let slice = 0; slice < count; slice++) steps.push(...turns(slice, true));
  return steps;
};

/**
 * Every session of a run, round by round. Paired, the baseline has no session of its own: every
 * other case brings a yardstick. Unpaired, the baseline is measured alone at its place in the
 * round, and every other case of that round is compared with it.
 */
export const schedule = <C>(
  cases: readonly C[],
  baseline: C,
  options: ScheduleOptions,
): readonly (readonly Session<C>[])[] => {
  const rounds: Session<C>[][] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const sessions: Session<C>[] = [];
    for (const spec of roundOrder(cases, round)) {
      if (options.paired) {
        if (spec !== baseline) {
          sessions.push({ round, spec, compare: 'turns', steps: pairedSteps(options, round) });
        }
      } else {
        const compare = spec === baseline ? 'none' : 'round';
        sessions.push({ round, spec, compare, steps: aloneSteps(options) });
      }
    }
    rounds.push(sessions);
  }
  return rounds;
};

/** What a case needs to say for `selectCases`. */
export interface Selectable {
  readonly name: string;
  /** A reference server instead of heo-power. */
  readonly server?: string;
  readonly postgres?: boolean;
}

/**
 * The cases a run takes, in their listed order: the PostgreSQL case only when PostgreSQL and
 * Redis answer, with `--against` only heo-power's own cases (and the baseline), and with `--cases`
 * only those (and the baseline).
 */
export const selectCases = <C extends Selectable>(
  cases: readonly C[],
  choice: {
    readonly baseline: string;
    readonly postgres: boolean;
    readonly against: boolean;
    readonly only: readonly string[] | null;
  },
): readonly C[] => {
  const runnable = cases.filter(
    (c) =>
      (!c.postgres || choice.postgres) &&
      // Against another build only heo-power's own cases make sense.
      (!choice.against || c.name === choice.baseline || c.server === undefined),
  );
  return choice.only === null
    ? runnable
    : runnable.filter((c) => c.name === choice.baseline || choice.only?.includes(c.name));
};
