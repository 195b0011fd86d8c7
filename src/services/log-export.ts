import type { AuditRecord, JsonObject, OperatorEvent } from '../store/store.js';

/** The published field names of an audit record (`heo-power audit --json`, exports). */
export const auditJson = (r: AuditRecord) => ({
  at: new Date(r.at).toISOString(),
  request_id: r.requestId,
  key_id: r.keyId,
  customer_id: r.customerId,
  resource_type: r.resourceType,
  resource_id: r.resourceId,
  action: r.action,
  status: r.status,
  error: r.error,
  client_ip: r.clientIp,
  provider: r.provider,
  upstream_status: r.upstreamStatus,
  upstream_detail: r.upstreamDetail,
  task_ref: r.taskRef,
});

/** The published field names of an operator event. */
export const operatorJson = (e: OperatorEvent) => ({
  at: new Date(e.at).toISOString(),
  actor: e.actor,
  event: e.event,
  subject: e.subject,
  detail: e.detail,
});

export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];

type Cell = string | number | JsonObject | null;
export type FlatRecord = Readonly<Record<string, Cell>>;

/**
 * Spreadsheets run a cell that starts with one of these as a formula (`=HYPERLINK(...)`,
 * `+cmd|...`, `@SUM(...)`; tab and carriage return are read past by some): such a text cell gets a
 * leading `'`, which spreadsheets show as text and which a reader of the raw file can strip.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export const csvField = (cell: Cell): string => {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  let text = typeof cell === 'string' ? cell : JSON.stringify(cell);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

const csvLine = (cells: readonly Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;

/** Where an export goes: a writable that may ask the writer to wait (`false` from `write`). */
export interface ExportSink {
  write(chunk: string): boolean;
  once(event: 'drain' | 'error' | 'close', listener: (error?: unknown) => void): unknown;
  off(event: 'drain' | 'error' | 'close', listener: (error?: unknown) => void): unknown;
}

/** Resolves when `sink` can take more; rejects when it fails or closes first. */
const drained = (sink: ExportSink): Promise<void> =>
  new Promise((resolve, reject) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('error', failed);
      sink.off('close', closed);
    };
    const failed = (error?: unknown) => {
      done();
      reject(error instanceof Error ? error : new Error('the output failed'));
    };
    const closed = () => {
      done();
      reject(new Error('the output was closed'));
    };
    sink.once('drain', () => {
      done();
      resolve();
    });
    sink.once('error', failed);
    sink.once('close', closed);
  });

/** How many records go into one write: one store page's worth keeps memory flat. */
const RECORDS_PER_WRITE = 500;

/**
 * Every record of `rows` as JSON lines or CSV (a header line first), in chunks of
 * `RECORDS_PER_WRITE` records: whoever pulls the chunks decides the pace, so memory stays one chunk
 * and one store page, whatever the log's size. Returns the number of records.
 */
export async function* exportChunks<T>(
  rows: AsyncIterable<T>,
  toJson: (row: T) => FlatRecord,
  columns: readonly string[],
  format: ExportFormat,
): AsyncGenerator<string, number, undefined> {
  const line =
    format === 'jsonl'
      ? (row: T) => `${JSON.stringify(toJson(row))}\n`
      : (row: T) => {
          const flat = toJson(row);
          return csvLine(columns.map((column) => flat[column] ?? null));
        };
  let chunk = format === 'csv' ? csvLine(columns) : '';
  let pending = 0;
  let count = 0;
  for await (const row of rows) {
    chunk += line(row);
    count++;
    if (++pending >= RECORDS_PER_WRITE) {
      yield chunk;
      chunk = '';
      pending = 0;
    }
  }
  if (chunk !== '') yield chunk;
  return count;
}

/**
 * Writes every record of `rows` to `sink` (see `exportChunks`), waiting whenever the sink says it
 * is full. Returns the number of records written.
 */
export const writeExport = async <T>(
  rows: AsyncIterable<T>,
  toJson: (row: T) => FlatRecord,
  columns: readonly string[],
  format: ExportFormat,
  sink: ExportSink,
): Promise<number> => {
  const chunks = exportChunks(rows, toJson, columns, format);
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) return next.value;
      if (!sink.write(next.value)) await drained(sink);
    }
  } finally {
    // A failed sink stops the reading of the store too.
    await chunks.return(0);
  }
};

/** The CSV columns: the JSON fields, in their order. */
export const AUDIT_COLUMNS = [
  'at',
  'request_id',
  'key_id',
  'customer_id',
  'resource_type',
  'resource_id',
  'action',
  'status',
  'error',
  'client_ip',
  'provider',
  'upstream_status',
  'upstream_detail',
  'task_ref',
] as const satisfies readonly (keyof ReturnType<typeof auditJson>)[];

export const OPERATOR_COLUMNS = [
  'at',
  'actor',
  'event',
  'subject',
  'detail',
] as const satisfies readonly (keyof ReturnType<typeof operatorJson>)[];
