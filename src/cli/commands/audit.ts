import { type Command, InvalidArgumentError, Option } from 'commander';
import { pruneAuditLog } from '../../audit/audit-pruner.js';
import { AdminError } from '../../domain/admin-error.js';
import { LOG_TIME_RULE, parseLogTime } from '../../domain/log-time.js';
import {
  AUDIT_COLUMNS,
  auditJson,
  EXPORT_FORMATS,
  type ExportFormat,
  OPERATOR_COLUMNS,
  operatorJson,
  writeExport,
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
import type { AuditFilter, OperatorFilter, ResourceRef, Store } from '../../store/store.js';
import type { CliIo } from '../io.js';
import { emit, type OutputOptions, table } from '../output.js';
import { positiveInteger } from '../parsers.js';
import { withContainer } from '../session.js';

interface FilterOptions {
  readonly since?: string;
  readonly until?: string;
  readonly key?: string;
  readonly customer?: string;
  readonly resource?: ResourceRef;
  readonly action?: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly event?: string;
  readonly operator?: boolean;
}

interface AuditOptions extends FilterOptions, OutputOptions {
  readonly limit: number;
  readonly cursor?: string;
}

interface ExportOptions extends FilterOptions {
  readonly format: ExportFormat;
}

interface PruneOptions extends OutputOptions {
  readonly before: string;
}

const text = (value: string): string => {
  if (!isFilterText(value)) throw new InvalidArgumentError(TEXT_RULE);
  return value;
};

const resourceRef = (value: string): ResourceRef => {
  const ref = parseResourceRef(value);
  if (ref === null) throw new InvalidArgumentError(RESOURCE_RULE);
  return ref;
};

const httpStatus = (value: string): number => {
  const status = parseHttpStatus(value);
  if (status === null) throw new InvalidArgumentError(STATUS_RULE);
  return status;
};

const timeOf = (name: string, value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined;
  const ms = parseLogTime(value, now);
  if (ms === null) throw new InvalidArgumentError(`--${name}: ${LOG_TIME_RULE} (got "${value}")`);
  return ms;
};

/** The filter options both commands take; `--event` and `--operator` go to the operator log. */
const withFilters = (command: Command): Command =>
  command
    .option(
      '--since <time>',
      'only records at or after this time (2026-11-23, ...T14:40:00Z, 24h, 7d)',
    )
    .option('--until <time>', 'only records before this time')
    .option(
      '--key <key_id>',
      'only requests made with this key (operator log: changes to it)',
      text,
    )
    .option('--customer <customer_id>', 'only requests of this customer', text)
    .option(
      '--resource <type:id>',
      'only requests for this machine (operator log: changes to it)',
      resourceRef,
    )
    .addOption(new Option('--action <action>', 'only this power action').choices(POWER_ACTIONS))
    .option('--status <status>', 'only requests answered with this HTTP status', httpStatus)
    .option('--request-id <id>', 'only the request with this request id', text)
    .option('--event <event>', 'operator log: only this event (key.create, vps.add, ...)', text)
    .option('--operator', 'the operator log (providers, machines, keys) instead');

/** Filters the operator log cannot honour: its events have no customer, action, status or request. */
const POWER_ONLY: readonly (readonly [keyof FilterOptions, string])[] = [
  ['customer', '--customer'],
  ['action', '--action'],
  ['status', '--status'],
  ['requestId', '--request-id'],
];

type LogFilter =
  | { readonly log: 'audit'; readonly filter: AuditFilter }
  | { readonly log: 'operator'; readonly filter: OperatorFilter };

const filterOf = (options: FilterOptions, now: number): LogFilter => {
  const since = timeOf('since', options.since, now);
  const until = timeOf('until', options.until, now);
  const range = { since, until };
  if (options.operator === true) {
    const refused = POWER_ONLY.filter(([field]) => options[field] !== undefined).map(
      ([, flag]) => flag,
    );
    if (refused.length > 0) {
      throw new InvalidArgumentError(
        `${refused.join(', ')} cannot filter the operator log (it takes --since, --until, --key, --resource and --event)`,
      );
    }
    if (options.key !== undefined && options.resource !== undefined) {
      throw new InvalidArgumentError('the operator log takes --key or --resource, not both');
    }
    return {
      log: 'operator',
      filter: operatorFilterOf({
        ...range,
        keyId: options.key,
        resource: options.resource,
        event: options.event,
      }),
    };
  }
  if (options.event !== undefined) {
    throw new InvalidArgumentError('--event filters the operator log: add --operator');
  }
  return {
    log: 'audit',
    filter: auditFilterOf({
      ...range,
      keyId: options.key,
      customerId: options.customer,
      resource: options.resource,
      action: options.action,
      status: options.status,
      requestId: options.requestId,
    }),
  };
};

/** A cursor the store refuses is the operator's mistake, said as such. */
const readPage = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new AdminError(
        `--cursor: ${error.message}; use the cursor printed with the page before, with the same log`,
      );
    }
    throw error;
  }
};

const printPage = async (io: CliIo, store: Store, options: AuditOptions, log: LogFilter) => {
  const page = {
    limit: options.limit,
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
  };
  let nextCursor: string | null;
  if (log.log === 'operator') {
    const result = await readPage(() => store.operatorLog.page({ ...log.filter, ...page }));
    nextCursor = result.nextCursor;
    const events = result.rows.map(operatorJson);
    emit(io, options, events, () =>
      table(
        ['AT', 'ACTOR', 'EVENT', 'SUBJECT', 'DETAIL'],
        events.map((e) => [
          e.at,
          e.actor,
          e.event,
          e.subject,
          e.detail === null ? '' : JSON.stringify(e.detail),
        ]),
      ),
    );
  } else {
    const result = await readPage(() => store.audit.page({ ...log.filter, ...page }));
    nextCursor = result.nextCursor;
    const records = result.rows.map(auditJson);
    emit(io, options, records, () =>
      table(
        [
          'AT',
          'KEY',
          'CUSTOMER',
          'RESOURCE',
          'ACTION',
          'STATUS',
          'ERROR',
          'CLIENT',
          'PROVIDER',
          'TASK',
        ],
        records.map((r) => [
          r.at,
          r.key_id,
          r.customer_id,
          `${r.resource_type}:${r.resource_id}`,
          r.action,
          String(r.status),
          r.error ?? '-',
          r.client_ip ?? '-',
          r.provider ?? '-',
          r.task_ref ?? '-',
        ]),
      ),
    );
  }
  if (nextCursor === null) return;
  // stdout keeps its one JSON document with --json; the way on is said beside it.
  if (options.json === true) io.stderr.write(`more records: --cursor ${nextCursor}\n`);
  else io.stdout.write(`more records: --cursor ${nextCursor}\n`);
};

export const registerAuditCommand = (program: Command, io: CliIo): void => {
  const audit = withFilters(
    program
      .command('audit')
      .description('read the audit log of power requests, newest first')
      .enablePositionalOptions()
      .option('--limit <n>', 'how many records per page', positiveInteger(100_000), 50)
      .option('--cursor <cursor>', 'the page after the one that printed this cursor'),
  )
    .option('--json', 'print JSON')
    .action(async (options: AuditOptions) => {
      const log = filterOf(options, Date.now());
      await withContainer(io, ({ store }) => printPage(io, store, options, log));
    });

  withFilters(
    audit
      .command('export')
      .description('write every matching record, newest first, as JSON lines or CSV')
      .addOption(
        new Option('--format <format>', 'jsonl or csv')
          .choices(EXPORT_FORMATS)
          .makeOptionMandatory(),
      ),
  ).action(async (options: ExportOptions) => {
    const log = filterOf(options, Date.now());
    await withContainer(io, async ({ store }) => {
      if (log.log === 'operator') {
        await writeExport(
          store.operatorLog.iterate(log.filter),
          operatorJson,
          OPERATOR_COLUMNS,
          options.format,
          io.stdout,
        );
      } else {
        await writeExport(
          store.audit.iterate(log.filter),
          auditJson,
          AUDIT_COLUMNS,
          options.format,
          io.stdout,
        );
      }
    });
  });

  audit
    .command('prune')
    .description(
      'delete the audit records of power requests older than a time (the operator log is kept)',
    )
    .requiredOption('--before <time>', 'delete records before this time (2026-01-01, 90d)')
    .option('--json', 'print JSON')
    .action(async (options: PruneOptions) => {
      const now = Date.now();
      const before = timeOf('before', options.before, now);
      if (before === undefined || before > now) {
        throw new InvalidArgumentError('--before must not be in the future');
      }
      await withContainer(io, async ({ store }) => {
        let outcome = await pruneAuditLog(store.audit, before);
        let deleted = outcome.deleted;
        // Another instance is pruning: wait for it, a bounded while, then prune what it left.
        for (let attempt = 0; !outcome.acquired && attempt < 100; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          outcome = await pruneAuditLog(store.audit, before);
          deleted += outcome.deleted;
        }
        if (!outcome.acquired) {
          throw new AdminError(
            'another heo-power has been pruning the audit log for 20 s: try again later',
          );
        }
        const iso = new Date(before).toISOString();
        emit(
          io,
          options,
          { deleted, before: iso },
          () => `deleted ${deleted} audit record${deleted === 1 ? '' : 's'} older than ${iso}`,
        );
      });
    });
};
