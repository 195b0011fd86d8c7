import { describe, expect, it } from 'vitest';
import {
  aloneSteps,
  pairedSteps,
  roundOrder,
  schedule,
  selectCases,
  sliceCount,
  sliceSeconds,
  turnOrder,
  type Step,
} from '../../bench/schedule.js';

const options = { seconds: 2, slice: 1, warmup: 3, rounds: 2, paired: true };

/** A step as one short word, to read a whole session at a glance. */
const brief = (step: Step): string =>
  step.kind === 'start'
    ? `start ${step.side} ${step.warmup}`
    : `${step.measured ? 'measure' : 'settle'} ${step.side} ${step.seconds}`;

describe('npm run bench: the schedule', () => {
  it('cuts the measured seconds into whole slices as near the asked length as they come', () => {
    expect(sliceCount(10, 2)).toBe(5);
    expect(sliceCount(5, 2)).toBe(3); // 2.5 rounds up
    expect(sliceCount(3, 2)).toBe(2); // 1.5 rounds up
    expect(sliceCount(7, 2)).toBe(4); // 3.5
    expect(sliceCount(1, 1)).toBe(1);
    expect(sliceCount(1, 3)).toBe(1); // never none
    expect(sliceSeconds(10, 2)).toBe(2);
    expect(sliceSeconds(5, 2)).toBe(5 / 3);
    expect(sliceSeconds(0.2, 0.1)).toBe(0.1);
  });

  it('runs odd rounds in the listed order and even rounds reversed, leaving the list alone', () => {
    const cases = ['baseline', '200', '401'];
    expect(roundOrder(cases, 1)).toEqual(['baseline', '200', '401']);
    expect(roundOrder(cases, 2)).toEqual(['401', '200', 'baseline']);
    expect(roundOrder(cases, 3)).toEqual(['baseline', '200', '401']);
    expect(roundOrder(cases, 4)).toEqual(['401', '200', 'baseline']);
    expect(cases).toEqual(['baseline', '200', '401']);
  });

  it('alternates which server goes first slice by slice, and round by round', () => {
    expect(turnOrder(-1, 1)).toEqual(['yardstick', 'case']);
    expect(turnOrder(0, 1)).toEqual(['case', 'yardstick']);
    expect(turnOrder(1, 1)).toEqual(['yardstick', 'case']);
    expect(turnOrder(-1, 2)).toEqual(['case', 'yardstick']);
    expect(turnOrder(0, 2)).toEqual(['yardstick', 'case']);
    expect(turnOrder(1, 2)).toEqual(['case', 'yardstick']);
  });

  it('pairs a case with its yardstick: both warmed up, one settling turn each, then ABBA', () => {
    expect(pairedSteps(options, 1).map(brief)).toEqual([
      'start yardstick 3',
      'start case 3',
      'settle yardstick 1',
      'settle case 1',
      'measure case 1',
      'measure yardstick 1',
      'measure yardstick 1',
      'measure case 1',
    ]);
    expect(pairedSteps(options, 2).map(brief)).toEqual([
      'start yardstick 3',
      'start case 3',
      'settle case 1',
      'settle yardstick 1',
      'measure yardstick 1',
      'measure case 1',
      'measure case 1',
      'measure yardstick 1',
    ]);
  });

  it('gives each side of a pair the measured seconds in equal slices', () => {
    const steps = pairedSteps({ ...options, seconds: 10, slice: 3 }, 1);
    for (const side of ['case', 'yardstick'] as const) {
      const measured = steps.filter(
        (s) => s.kind === 'load' && s.side === side && s.measured,
      ) as Extract<Step, { kind: 'load' }>[];
      expect(measured.map((s) => s.seconds)).toEqual([10 / 3, 10 / 3, 10 / 3]);
    }
    expect(steps.filter((s) => s.kind === 'load')).toHaveLength(8);
  });

  it('measures a case alone in one stretch after its warm-up', () => {
    expect(aloneSteps({ ...options, paired: false }).map(brief)).toEqual([
      'start case 3',
      'measure case 2',
    ]);
  });

  it('paired, gives every case but the baseline a session of its own, round after round', () => {
    const rounds = schedule(['baseline', '200', '401'], 'baseline', options);
    expect(rounds.map((r) => r.map((s) => `${s.round} ${s.spec} ${s.compare}`))).toEqual([
      ['1 200 turns', '1 401 turns'],
      ['2 401 turns', '2 200 turns'],
    ]);
    expect(rounds[1]?.[0]?.steps).toEqual(pairedSteps(options, 2));
  });

  it('unpaired, measures the baseline alone at its place and compares the round with it', () => {
    const rounds = schedule(['baseline', '200', '401'], 'baseline', {
      ...options,
      rounds: 3,
      paired: false,
    });
    expect(rounds.map((r) => r.map((s) => `${s.round} ${s.spec} ${s.compare}`))).toEqual([
      ['1 baseline none', '1 200 round', '1 401 round'],
      ['2 401 round', '2 200 round', '2 baseline none'],
      ['3 baseline none', '3 200 round', '3 401 round'],
    ]);
    for (const session of rounds.flat()) {
      expect(session.steps.map(brief)).toEqual(['start case 3', 'measure case 2']);
    }
  });

  describe('the cases a run takes', () => {
    const cases = [
      { name: 'baseline', server: 'baseline.js' },
      { name: 'fastify', server: 'fastify-minimal.js' },
      { name: '200' },
      { name: '200-pg', postgres: true },
      { name: '401' },
    ];
    const names = (choice: { postgres?: boolean; against?: boolean; only?: string[] }) =>
      selectCases(cases, {
        baseline: 'baseline',
        postgres: choice.postgres ?? true,
        against: choice.against ?? false,
        only: choice.only ?? null,
      }).map((c) => c.name);

    it('takes every case in the listed order', () => {
      expect(names({})).toEqual(['baseline', 'fastify', '200', '200-pg', '401']);
    });

    it('leaves out the PostgreSQL case when PostgreSQL or Redis does not answer', () => {
      expect(names({ postgres: false })).toEqual(['baseline', 'fastify', '200', '401']);
    });

    it("against another build, takes only heo-power's own cases and the baseline", () => {
      expect(names({ against: true })).toEqual(['baseline', '200', '200-pg', '401']);
    });

    it('with --cases, takes those and the baseline, in the listed order', () => {
      expect(names({ only: ['401', '200'] })).toEqual(['baseline', '200', '401']);
      expect(names({ only: ['fastify'], against: true })).toEqual(['baseline']);
      expect(names({ only: ['200-pg'], postgres: false })).toEqual(['baseline']);
    });
  });
});
