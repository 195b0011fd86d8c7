import { Readable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { LOG_TIME_RULE, parseLogTime } from '../../domain/log-time.js';
import {
  AUDIT_COLUMNS,
  auditJson,
  EXPORT_FORMATS,
  type ExportFormat,
  exportChunks,
  type FlatRecord,
  OPERATOR_COLUMNS,
  operatorJson,
} from '../../services/log-export.js';
import {
  auditFilterOf,
  isFilterText,
  operatorFilterOf,
  parseHttpStatus,
  parseResourceRef,
  POWER_ACTIONS,
  RESOURCE_RULE,
  STATUS_RULE,
  TEXT_RULE,
} from '../../services/log-filters.js';
import { InvalidCursorError } from '../../store/errors.js';
import type {
  AuditFilter,
  AuditRecord,
  AuditStore,
  LogPage,
  OperatorEvent,
  OperatorFilter,
  OperatorLogStore,
  PageQuery,
} from '../../store/store.js';
import { Errors } from '../api-errors.js';
import { FieldReader } from './admin-body.js';
import {
  ADMIN_BEARER,
  ADMIN_TAGS,
  answer,
  AUDIT_RECORD_SCHEMA,
  errorResponses,
  type JsonSchema,
  OPERATOR_EVENT_SCHEMA,
  sendJson,
} from './admin-schemas.js';

/** What the log routes read: the store's pages and its page-by-page iteration, nothing else. */
export interface LogStores {
  readonly audit: Pick<AuditStore, 'page' | 'iterate'>;
  readonly operatorLog: Pick<OperatorLogStore, 'page' | 'iterate'>;
}

const security = [{ [ADMIN_BEARER]: [] }];
const tags = [ADMIN_TAGS.logs];
const QUERY = { what: 'query parameter' } as const;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;
const LIMIT_RULE = `expected a whole number from 1 to ${MAX_LIMIT}`;

const MEDIA_TYPES: Readonly<Record<ExportFormat, string>> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

const TIME = {
  type: 'string',
  description:
    'A date (`2026-11-23`, midnight UTC), a date and time with its zone (`2026-11-23T14:40:00Z`), or a duration back from now (`24h`, `7d`).',
};

const PAGE_PARAMETERS: Record<string, JsonSchema> = {
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_LIMIT,
    default: DEFAULT_LIMIT,
    description: 'How many per page.',
  },
  cursor: {
    type: 'string',
    description: '`next_cursor` of the page before, with the same filters: the page after it.',
  },
};

/** One log as the admin API serves it: described once, served by one route builder. */
interface LogSpec<F, R> {
  readonly log: 'audit' | 'operator';
  readonly path: string;
  readonly noun: string;
  /** The answer's field with the page's rows. */
  readonly items: 'records' | 'events';
  readonly operation: { readonly list: string; readonly export: string };
  readonly cli: string;
  readonly filters: Record<string, JsonSchema>;
  readonly filterOf: (query: FieldReader, now: number) => F;
  readonly page: (query: F & PageQuery) => Promise<LogPage<R>>;
  readonly iterate: (filter: F) => AsyncIterable<R>;
  readonly toJson: (row: R) => FlatRecord;
  readonly columns: readonly string[];
  readonly itemSchema: JsonSchema;
}

const timesOf = (query: FieldReader, now: number) => ({
  since: query.parsed('since', (v) => parseLogTime(v, now), LOG_TIME_RULE),
  until: query.parsed('until', (v) => parseLogTime(v, now), LOG_TIME_RULE),
});

const textOf = (query: FieldReader, name: string): string | undefined =>
  query.parsed(name, (v) => (isFilterText(v) ? v : null), TEXT_RULE);

const resourceOf = (query: FieldReader) =>
  query.parsed('resource', parseResourceRef, RESOURCE_RULE);

const auditSpec = (store: LogStores['audit']): LogSpec<AuditFilter, AuditRecord> => ({
  log: 'audit',
  path: '/admin/v1/audit',
  noun: 'power audit log',
  items: 'records',
  operation: { list: 'listAuditRecords', export: 'exportAuditRecords' },
  cli: 'heo-power audit',
  filters: {
    since: { ...TIME, description: `Only records at or after this time. ${TIME.description}` },
    until: { ...TIME, description: 'Only records before this time.' },
    key_id: { type: 'string', description: 'Only requests made with this key.' },
    customer_id: { type: 'string', description: 'Only requests of this customer.' },
    resource: {
      type: 'string',
      pattern: '^(vps|game):.+$',
      examples: ['vps:vps_123'],
      description: 'Only requests for this machine: `vps:<id>` or `game:<id>`.',
    },
    action: { type: 'string', enum: POWER_ACTIONS, description: 'Only this power action.' },
    status: {
      type: 'integer',
      minimum: 100,
      maximum: 599,
      description: 'Only requests answered with this HTTP status.',
    },
    request_id: { type: 'string', description: 'Only the request with this `X-Request-Id`.' },
  },
  filterOf: (query, now) =>
    auditFilterOf({
      ...timesOf(query, now),
      keyId: textOf(query, 'key_id'),
      customerId: textOf(query, 'customer_id'),
      resource: resourceOf(query),
      action: query.oneOf('action', POWER_ACTIONS),
      status: query.parsed('status', parseHttpStatus, STATUS_RULE),
      requestId: textOf(query, 'request_id'),
    }),
  page: (query) => store.page(query),
  iterate: (filter) => store.iterate(filter),
  toJson: auditJson,
  columns: AUDIT_COLUMNS,
  itemSchema: AUDIT_RECORD_SCHEMA,
});

const operatorSpec = (store: LogStores['operatorLog']): LogSpec<OperatorFilter, OperatorEvent> => ({
  log: 'operator',
  path: '/admin/v1/operator-log',
  noun: 'operator log',
  items: 'events',
  operation: { list: 'listOperatorEvents', export: 'exportOperatorEvents' },
  cli: 'heo-power audit --operator',
  filters: {
    since: { ...TIME, description: `Only events at or after this time. ${TIME.description}` },
    until: { ...TIME, description: 'Only events before this time.' },
    key_id: {
      type: 'string',
      description: "Only this key's own events (`key.create`, `key.rotate`, `key.revoke`).",
    },
    resource: {
      type: 'string',
      pattern: '^(vps|game):.+$',
      examples: ['vps:vps_123'],
      description: "Only this machine's own events: `vps:<id>` or `game:<id>`. Excludes `key_id`.",
    },
    event: {
      type: 'string',
      examples: ['provider.add'],
      description: 'Only events of this name.',
    },
  },
  filterOf: (query, now) => {
    const keyId = textOf(query, 'key_id');
    const resource = resourceOf(query);
    if (keyId !== undefined && resource !== undefined)
      throw Errors.invalidRequest(
        'Query parameters "key_id" and "resource" exclude each other: the operator log takes one subject',
      );
    return operatorFilterOf({
      ...timesOf(query, now),
      keyId,
      resource,
      event: textOf(query, 'event'),
    });
  },
  page: (query) => store.page(query),
  iterate: (filter) => store.iterate(filter),
  toJson: operatorJson,
  columns: OPERATOR_COLUMNS,
  itemSchema: OPERATOR_EVENT_SCHEMA,
});

const querystring = (properties: Record<string, JsonSchema>, required: readonly string[] = []) => ({
  type: 'object',
  properties,
  ...(required.length === 0 ? {} : { required }),
  additionalProperties: false,
});

/**
 * The chunks of an export after the first, which the handler read before answering. Pulled only
 * as fast as the client takes them (`Readable.from`); a client that leaves ends the iteration,
 * and so the reading of the store. A store that fails part way cuts the response off: its
 * chunked body then lacks its end, which HTTP clients report as an incomplete transfer.
 */
async function* remainingChunks(
  first: IteratorResult<string, number>,
  chunks: AsyncGenerator<string, number, undefined>,
  log: FastifyBaseLogger,
): AsyncGenerator<string, void, undefined> {
  try {
    if (first.done === true) return;
    yield first.value;
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) return;
      yield next.value;
    }
  } catch (error) {
    log.error({ err: error }, 'admin log export failed part way; the response was cut off');
    throw error;
  } finally {
    await chunks.return(0);
  }
}

const registerLog = <F, R>(app: FastifyInstance, spec: LogSpec<F, R>): void => {
  const filterNames = Object.keys(spec.filters);

  app.get(
    spec.path,
    {
      schema: {
        operationId: spec.operation.list,
        tags,
        security,
        summary: `Read the ${spec.noun}`,
        description:
          `As \`${spec.cli} --json\`, newest first (by time, then record id), one page at a time: ` +
          '`next_cursor` names the last row shown, so the next page starts right after it even while ' +
          'new rows arrive; it is `null` on the last page. Keep the same filters from page to page.',
        querystring: querystring({ ...spec.filters, ...PAGE_PARAMETERS }),
        response: {
          200: answer(`A page of the ${spec.noun}.`, {
            type: 'object',
            required: [spec.items, 'next_cursor'],
            properties: {
              [spec.items]: { type: 'array', items: spec.itemSchema },
              next_cursor: {
                type: ['string', 'null'],
                description: 'The cursor of the next page; `null`: this is the last.',
              },
            },
            additionalProperties: false,
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const query = new FieldReader(request.query, [...filterNames, 'limit', 'cursor'], QUERY);
      const filter = spec.filterOf(query, Date.now());
      const limit =
        query.parsed(
          'limit',
          (v) => (/^[1-9][0-9]{0,6}$/.test(v) && Number(v) <= MAX_LIMIT ? Number(v) : null),
          LIMIT_RULE,
        ) ?? DEFAULT_LIMIT;
      const cursor = query.string('cursor');
      let page: LogPage<R>;
      try {
        page = await spec.page({ ...filter, limit, ...(cursor === undefined ? {} : { cursor }) });
      } catch (error) {
        if (error instanceof InvalidCursorError)
          throw Errors.invalidRequest(
            `Query parameter "cursor": not a cursor of the ${spec.noun}; use the next_cursor of the page before`,
          );
        throw error;
      }
      reply.header('cache-control', 'no-store');
      return sendJson(reply, 200, {
        [spec.items]: page.rows.map(spec.toJson),
        next_cursor: page.nextCursor,
      });
    },
  );

  app.get(
    `${spec.path}/export`,
    {
      schema: {
        operationId: spec.operation.export,
        tags,
        security,
        summary: `Export the ${spec.noun}`,
        description:
          `As \`${spec.cli.replace('audit', 'audit export')}\`: every matching row, newest first, as JSON lines ` +
          '(the fields of the page answer, one object a line) or CSV (a header line, `\\r\\n` line ends, ' +
          "RFC 4180 quoting, text that a spreadsheet would run as a formula prefixed with `'`). " +
          'Streamed as the store is read, 1 000 rows at a time, as fast as the client reads: any size ' +
          'is exported in the same memory. A store that fails before the first row is answered as any ' +
          'failure (503, 500); one that fails part way cuts the response off before its end, so the ' +
          'client sees an incomplete transfer, never a short file that looks whole.',
        querystring: querystring(
          {
            format: {
              type: 'string',
              enum: EXPORT_FORMATS,
              description:
                'JSON lines or CSV. Without it, `Accept: application/x-ndjson` or `Accept: text/csv` chooses; with neither, 400.',
            },
            ...spec.filters,
          },
          [],
        ),
        produces: [MEDIA_TYPES.jsonl, MEDIA_TYPES.csv],
        response: {
          200: {
            description: `The ${spec.noun}, streamed.`,
            content: {
              'application/x-ndjson': {
                schema: { type: 'string', description: 'One JSON object a line.' },
              },
              'text/csv': { schema: { type: 'string', description: 'A header line, then rows.' } },
            },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const query = new FieldReader(request.query, ['format', ...filterNames], QUERY);
      // `?format=` decides; without it, the `Accept` header; without either, the format is missing.
      const accepted = formatAccepted(request.headers.accept);
      if (accepted === undefined) query.string('format', { required: true });
      const format = query.oneOf('format', EXPORT_FORMATS) ?? accepted ?? 'jsonl';
      const filter = spec.filterOf(query, Date.now());
      const chunks = exportChunks(spec.iterate(filter), spec.toJson, spec.columns, format);
      // The first page is read before the answer starts: a store that is away gets its status.
      let first: IteratorResult<string, number>;
      try {
        first = await chunks.next();
      } catch (error) {
        await chunks.return(0);
        throw error;
      }
      const name = spec.log === 'audit' ? 'audit' : 'operator-log';
      return reply
        .code(200)
        .header('content-type', MEDIA_TYPES[format])
        .header('content-disposition', `attachment; filename="${name}.${format}"`)
        .header('cache-control', 'no-store')
        .send(
          Readable.from(remainingChunks(first, chunks, request.log), {
            objectMode: true,
            highWaterMark: 1,
          }),
        );
    },
  );
};

/** The export format an `Accept` header asks for, when it names one of them. */
const formatAccepted = (accept: string | undefined): ExportFormat | undefined => {
  const types = (accept ?? '').split(',').map((part) => part.split(';')[0]?.trim().toLowerCase());
  if (types.includes('application/x-ndjson')) return 'jsonl';
  if (types.includes('text/csv')) return 'csv';
  return undefined;
};

/** `heo-power audit` and `audit export`, of both logs, over HTTP: read-only. */
export const registerLogRoutes = (app: FastifyInstance, stores: LogStores): void => {
  registerLog(app, auditSpec(stores.audit));
  registerLog(app, operatorSpec(stores.operatorLog));
};
