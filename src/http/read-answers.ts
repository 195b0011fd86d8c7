import type { PowerFamily } from '../domain/power.js';
import { Refusals, type Refusal } from '../domain/refusal.js';
import {
  decodeActionCursor,
  decodeCursor,
  encodeActionCursor,
  encodeCursor,
} from '../services/action-cursor.js';
import { actionView } from '../services/action-view.js';
import type { ActionPosition, ActionRecord } from '../store/store.js';

export { actionView };

/**
 * The bodies of the read routes, and their paging: a page size from 1 to 100 (default 20) and
 * an opaque cursor, base64url text of where the previous page ended.
 */

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

export const actionJson = (family: PowerFamily, action: ActionRecord): string =>
  JSON.stringify({ success: true, ...actionView(family, action) });

/** `?limit=`: absent is the default; anything but a whole number from 1 to 100 is refused. */
export const pageSize = (query: Readonly<Record<string, unknown>>): number | Refusal => {
  const raw = query.limit;
  if (raw === undefined) return DEFAULT_PAGE;
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,2}$/.test(raw)) return Refusals.invalid_limit;
  const size = Number(raw);
  return size <= MAX_PAGE ? size : Refusals.invalid_limit;
};

export const actionCursor = (position: ActionPosition): string => encodeActionCursor(position);

/** `undefined` without a cursor; a refusal for one this API did not give out. */
export const actionPosition = (text: unknown): ActionPosition | undefined | Refusal => {
  if (text === undefined) return undefined;
  return decodeActionCursor(text) ?? Refusals.invalid_cursor;
};

export const machineCursor = (id: string): string => encodeCursor({ m: id });

export const machineAfter = (text: unknown): string | undefined | Refusal => {
  if (text === undefined) return undefined;
  const value = decodeCursor(text) as { m?: unknown } | null | undefined;
  return typeof value?.m === 'string' ? value.m : Refusals.invalid_cursor;
};

const REFUSALS: ReadonlySet<unknown> = new Set(Object.values(Refusals));

export const isRefusal = (value: unknown): value is Refusal => REFUSALS.has(value);
