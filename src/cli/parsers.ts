import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../domain/duration.js';

export const positiveInteger =
  (max: number) =>
  (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    }
    return Number(value);
  };

export const duration = (value: string): number => {
  const ms = parseDuration(value);
  if (ms === null) throw new InvalidArgumentError('expected a duration like 90s, 15m, 12h or 30d');
  return ms;
};

export const collect = (value: string, previous: readonly string[]): string[] => [
  ...previous,
  value,
];
