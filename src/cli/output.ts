import { visiblyEscaped } from '../domain/untrusted-text.js';
import type { JsonValue } from '../store/store.js';
import type { CliIo } from './io.js';

export interface OutputOptions {
  readonly json?: boolean;
}

/**
 * Human-readable lines, or exactly one JSON document on stdout with `--json`. Nothing else is
 * written to stdout by a command; errors and logs go to stderr.
 */
export const emit = (
  io: CliIo,
  options: OutputOptions,
  json: JsonValue,
  human: () => string,
): void => {
  io.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
};

export { isoOrNull } from '../services/views.js';

/**
 * Columns padded to their widest cell; the last column is not padded. Cells are written with
 * control and bidirectional characters escaped: what a table shows came from the store, and a
 * stored text must never move the cursor, clear the screen or start a line of its own.
 */
export const table = (
  header: readonly string[],
  unsafeRows: readonly (readonly string[])[],
): string => {
  if (unsafeRows.length === 0) return '(none)';
  const rows = unsafeRows.map((row) => row.map(visiblyEscaped));
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
};

/**
 * A warning about a command that did its work: on stderr, as `heo-power: warning: ...`, or as
 * one JSON object (`{"warning": "<code>", "message": "..."}`) with `--json`.
 */
export const warn = (io: CliIo, options: OutputOptions, code: string, message: string): void => {
  io.stderr.write(
    options.json
      ? `${JSON.stringify({ warning: code, message })}\n`
      : `heo-power: warning: ${message}\n`,
  );
};
