import { parseDuration } from './duration.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A point in time for the logs' filters, as epoch milliseconds, or `null` when `text` is none of:
 * a date (`2026-11-23`, midnight UTC), a date and time with its zone (`2026-11-23T14:40:00Z`,
 * `2026-11-23T15:40+01:00`), or a duration back from `now` (`90s`, `15m`, `24h`, `7d`).
 */
export const parseLogTime = (text: string, now: number): number | null => {
  const ago = parseDuration(text);
  if (ago !== null) return now - ago;
  const date = DATE.exec(text);
  if (date === null && !DATE_TIME.test(text)) return null;
  const ms = Date.parse(date === null ? text : `${text}T00:00:00Z`);
  if (!Number.isFinite(ms)) return null;
  // Date.parse rolls 2026-02-30 over into March: only dates that exist are taken.
  if (date !== null && new Date(ms).toISOString().slice(0, 10) !== text) return null;
  return ms;
};

export const LOG_TIME_RULE =
  'expected a date (2026-11-23), a date and time with its zone (2026-11-23T14:40:00Z) or a duration back from now (24h, 7d)';
