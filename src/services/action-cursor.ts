import type { ActionPosition } from '../store/store.js';

/**
 * The opaque cursors of paged reads: base64url JSON of where the page before ended. The API's
 * `next_cursor` of a machine's actions and the CLI's `actions --cursor` are the same text.
 */
export const encodeCursor = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** What a cursor holds, or `undefined` for text that is no cursor at all. */
export const decodeCursor = (text: unknown): unknown => {
  if (typeof text !== 'string' || text.length === 0 || text.length > 512) return undefined;
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};

export const encodeActionCursor = (position: ActionPosition): string =>
  encodeCursor({ a: [position.requestedAt, position.id] });

/** The position a cursor names, or `undefined` for text this code did not give out. */
export const decodeActionCursor = (text: unknown): ActionPosition | undefined => {
  const pair = (decodeCursor(text) as { a?: unknown } | null | undefined)?.a;
  if (
    Array.isArray(pair) &&
    pair.length === 2 &&
    Number.isSafeInteger(pair[0]) &&
    typeof pair[1] === 'string'
  ) {
    return { requestedAt: pair[0] as number, id: pair[1] };
  }
  return undefined;
};
