import type { JsonValue } from '../store/store.js';

export interface OutputOptions {
  readonly json?: boolean;
}

/**
 * Human-readable lines, or exactly one JSON document on stdout with `--json`. Nothing else is
 * written to stdout by a command; errors and logs go to stderr.
 */
export const emit = (options: OutputOptions, json: JsonValue, human: () => string): void => {
  process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
};

export const isoOrNull = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

/** Columns padded to their widest cell; the last column is not padded. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  if (rows.length === 0) return '(none)';
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
