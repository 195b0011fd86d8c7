import type { JsonObject } from '../store.js';

/** Column readers: rows come back as `unknown` from both drivers and are checked here. */
export const str = (value: unknown): string => {
  if (typeof value !== 'string') throw new TypeError(`expected text column, got ${typeof value}`);
  return value;
};

export const strOrNull = (value: unknown): string | null => (value === null ? null : str(value));

export const num = (value: unknown): number => {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new TypeError(`expected numeric column, got ${typeof value}`);
};

export const numOrNull = (value: unknown): number | null => (value === null ? null : num(value));

export const jsonObject = (value: unknown): JsonObject | null => {
  if (value === null) return null;
  const parsed: unknown = JSON.parse(str(value));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('expected a JSON object column');
  }
  return parsed as JsonObject;
};
