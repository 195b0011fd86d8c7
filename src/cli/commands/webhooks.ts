import type { Command } from 'commander';
import { DEFAULT_SECRET_OVERLAP_MS, parseOverlap } from '../../services/webhook-service.js';
import { deliveryJson, outcomeJson, webhookJson } from '../../services/views.js';
import { WEBHOOK_EVENT_TYPES } from '../../store/store.js';
import { confirm, type ConfirmOptions } from '../confirm.js';
import type { CliIo } from '../io.js';
import { emit, type OutputOptions, table } from '../output.js';
import { collect, positiveInteger } from '../parsers.js';
import { cliActor, withContainer } from '../session.js';

interface AddOptions extends OutputOptions {
  readonly customer: string;
  readonly url: string;
  readonly event: readonly string[];
}

interface ListOptions extends OutputOptions {
  readonly customer?: string;
}

interface RotateOptions extends OutputOptions, ConfirmOptions {
  readonly overlap: string;
}

interface DeliveriesOptions extends OutputOptions {
  readonly limit: number;
}

const fieldTable = (shown: Record<string, string | number | readonly string[] | null>): string =>
  table(
    ['FIELD', 'VALUE'],
    Object.entries(shown).map(([field, value]) => [
      field,
      value === null ? '-' : typeof value === 'object' ? value.join(', ') : String(value),
    ]),
  );

const secretLines = (headline: string, secret: string, after: readonly string[]): string =>
  [
    headline,
    '',
    `  ${secret}`,
    '',
    'This is the only time the secret is shown. Store it now.',
    ...after,
  ].join('\n');

/** `webhooks add|list|show|remove|rotate-secret|enable|test|deliveries|redeliver`. */
export const registerWebhookCommands = (program: Command, io: CliIo): void => {
  const webhooks = program
    .command('webhooks')
    .description(
      "manage customers' webhook endpoints: signed power events, delivered at least once",
    );

  webhooks
    .command('add')
    .description('add an endpoint; its signing secret is printed once and never again')
    .requiredOption('--customer <customer_id>', 'the customer whose power events it receives')
    .requiredOption('--url <https_url>', 'where events are POSTed (https:// only)')
    .option(
      '--event <type>',
      `only this event type (repeatable; default: all of ${WEBHOOK_EVENT_TYPES.join(', ')})`,
      collect,
      [],
    )
    .option('--json', 'print JSON')
    .action(async (options: AddOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const { record, secret } = await service.add(
          { customerId: options.customer, url: options.url, events: options.event },
          cliActor(),
        );
        emit(io, options, { ...webhookJson(record), secret }, () =>
          secretLines(
            `added webhook endpoint ${record.id} for customer ${record.customerId}`,
            secret,
            [`Send it a test event with "heo-power webhooks test ${record.id}".`],
          ),
        );
      }),
    );

  webhooks
    .command('list')
    .description('list endpoints (never their secrets)')
    .option('--customer <customer_id>', "only this customer's endpoints")
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const rows = (await service.list(options.customer)).map(webhookJson);
        emit(io, options, rows, () =>
          table(
            ['ID', 'CUSTOMER', 'STATUS', 'EVENTS', 'URL'],
            rows.map((r) => [
              r.id,
              r.customer_id,
              r.status === 'enabled' ? r.status : `disabled (${r.disabled_reason ?? '-'})`,
              r.events === 'all' ? 'all' : r.events.join(','),
              r.url,
            ]),
          ),
        );
      }),
    );

  webhooks
    .command('show <endpoint_id>')
    .description('show one endpoint (never its secrets)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const shown = webhookJson(await service.get(id));
        emit(io, options, shown, () => fieldTable(shown));
      }),
    );

  webhooks
    .command('remove <endpoint_id>')
    .description('remove an endpoint and its deliveries, sent or not')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions & ConfirmOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const endpoint = await service.get(id);
        await confirm(
          io,
          options,
          `Remove webhook endpoint ${endpoint.id} (${endpoint.url}) of customer ${endpoint.customerId}? Its pending deliveries are dropped.`,
        );
        const record = await service.remove(id, cliActor());
        emit(io, options, webhookJson(record), () => `removed webhook endpoint ${record.id}`);
      }),
    );

  webhooks
    .command('rotate-secret <endpoint_id>')
    .description('give an endpoint a new signing secret, printed once')
    .option(
      '--overlap <duration>',
      'how long the current secret signs too (two v1 signatures), e.g. 24h; 0 for none',
      `${DEFAULT_SECRET_OVERLAP_MS / 3_600_000}h`,
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (id: string, options: RotateOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const overlapMs = parseOverlap(options.overlap);
        const endpoint = await service.get(id);
        if (overlapMs === 0)
          await confirm(
            io,
            options,
            `Replace the secret of webhook endpoint ${endpoint.id} at once? Its receiver rejects events until it has the new one.`,
          );
        const { record, secret } = await service.rotateSecret(id, overlapMs, cliActor());
        emit(io, options, { ...webhookJson(record), secret }, () =>
          secretLines(`new signing secret for webhook endpoint ${record.id}`, secret, [
            record.previousUntil === null
              ? 'The previous secret no longer signs.'
              : `The previous secret signs too until ${new Date(record.previousUntil).toISOString()}.`,
          ]),
        );
      }),
    );

  webhooks
    .command('enable <endpoint_id>')
    .description('turn a disabled endpoint on again (after a 410 Gone or days of failures)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const record = await service.enable(id, cliActor());
        emit(io, options, webhookJson(record), () => `webhook endpoint ${record.id} is enabled`);
      }),
    );

  webhooks
    .command('test <endpoint_id>')
    .description('send a signed webhook.test event now, once, and show the answer')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const result = outcomeJson(await service.test(id));
        emit(io, options, result, () =>
          result.delivered
            ? `delivered: the receiver answered ${result.status}`
            : `not delivered: ${result.status === null ? result.error : `the receiver answered ${result.status}`}${result.response ? `\n${result.response}` : ''}`,
        );
        if (!result.delivered) io.exitCode = 1;
      }),
    );

  webhooks
    .command('deliveries <endpoint_id>')
    .description("an endpoint's deliveries, newest first")
    .option('--limit <n>', 'how many', positiveInteger(1000), 50)
    .option('--json', 'print JSON')
    .action(async (id: string, options: DeliveriesOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const rows = (await service.deliveries(id, options.limit)).map(deliveryJson);
        emit(io, options, rows, () =>
          table(
            ['ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST', 'NEXT', 'ACTION'],
            rows.map((r) => [
              r.id,
              r.type,
              r.status,
              String(r.attempts),
              r.last_status === null ? (r.last_error ?? '-') : String(r.last_status),
              r.next_attempt_at ?? '-',
              r.action_id,
            ]),
          ),
        );
      }),
    );

  webhooks
    .command('redeliver <delivery_id>')
    .description(
      'send a delivery again (as soon as an instance picks it up), attempts counted anew',
    )
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions) =>
      withContainer(io, async ({ webhooks: service }) => {
        const delivery = deliveryJson(await service.redeliver(id, cliActor()));
        emit(io, options, delivery, () => `delivery ${delivery.id} is queued again`);
      }),
    );
};
