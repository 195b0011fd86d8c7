import type { Command } from 'commander';
import type { AuditRecord, OperatorEvent } from '../../store/store.js';
import type { CliIo } from '../io.js';
import { emit, isoOrNull, type OutputOptions, table } from '../output.js';
import { positiveInteger } from '../parsers.js';
import { withContainer } from '../session.js';

interface AuditOptions extends OutputOptions {
  readonly limit: number;
  readonly key?: string;
  readonly customer?: string;
  readonly operator?: boolean;
}

const auditJson = (r: AuditRecord) => ({
  at: isoOrNull(r.at),
  request_id: r.requestId,
  key_id: r.keyId,
  customer: r.customerId,
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

const operatorJson = (e: OperatorEvent) => ({
  at: isoOrNull(e.at),
  actor: e.actor,
  event: e.event,
  subject: e.subject,
  detail: e.detail,
});

export const registerAuditCommand = (program: Command, io: CliIo): void => {
  program
    .command('audit')
    .description('read the audit log of power requests, newest first')
    .option('--limit <n>', 'how many records', positiveInteger(100_000), 50)
    .option('--key <key_id>', 'only requests made with this key')
    .option('--customer <customer_id>', 'only requests of this customer')
    .option('--operator', 'show operator changes (providers, resources, keys) instead')
    .option('--json', 'print JSON')
    .action(async (options: AuditOptions) =>
      withContainer(io, async ({ store }) => {
        if (options.operator) {
          const events = (await store.operatorLog.list(options.limit)).map(operatorJson);
          emit(io, options, events, () =>
            table(
              ['AT', 'ACTOR', 'EVENT', 'SUBJECT', 'DETAIL'],
              events.map((e) => [
                e.at ?? '',
                e.actor,
                e.event,
                e.subject,
                e.detail === null ? '' : JSON.stringify(e.detail),
              ]),
            ),
          );
          return;
        }
        const records = (
          await store.audit.list({
            limit: options.limit,
            ...(options.key === undefined ? {} : { keyId: options.key }),
            ...(options.customer === undefined ? {} : { customerId: options.customer }),
          })
        ).map(auditJson);
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
              r.at ?? '',
              r.key_id,
              r.customer,
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
      }),
    );
};
