import { type Command, Option } from 'commander';
import { KEY_SCOPES, type KeyScope } from '../../domain/access.js';
import { DEFAULT_ROTATION_OVERLAP_MS } from '../../services/key-service.js';
import type { ResourceRef } from '../../store/store.js';
import { isoOrNull, keyJson, resourcesJson } from '../../services/views.js';
import { confirm, type ConfirmOptions } from '../confirm.js';
import type { CliIo } from '../io.js';
import { emit, type OutputOptions, table, warn } from '../output.js';
import { collect, duration } from '../parsers.js';
import { cliActor, withContainer } from '../session.js';

interface CreateOptions extends OutputOptions {
  readonly customer: string;
  readonly scope: KeyScope;
  readonly vps: readonly string[];
  readonly server: readonly string[];
  readonly expiresIn?: number;
  readonly name?: string;
  readonly allowIp: readonly string[];
}

interface RotateOptions extends OutputOptions {
  readonly overlap: number;
}

interface ListOptions extends OutputOptions {
  readonly customer?: string;
}

/** For tables: `all`, the list, or `none` for a key whose machines were all moved or removed. */
const resourcesText = (resources: string | readonly string[]): string =>
  typeof resources === 'string' ? resources : resources.length === 0 ? 'none' : resources.join(',');

/** A key made for a customer without machines reaches nothing until one is added: say so. */
const warnIfNoMachines = (
  io: CliIo,
  options: OutputOptions,
  customerId: string,
  machines: number,
): void => {
  if (machines === 0)
    warn(
      io,
      options,
      'customer_has_no_machines',
      `customer "${customerId}" has no VPS or game servers yet: the key reaches nothing until one is added (check the customer id)`,
    );
};

export const registerKeyCommands = (program: Command, io: CliIo): void => {
  const keys = program.command('keys').description("manage customers' API keys");

  keys
    .command('create')
    .description('create an API key; the key is printed once and never again')
    .requiredOption('--customer <customer_id>', 'the customer the key belongs to')
    .addOption(
      new Option('--scope <scope>', 'power (includes read) or read')
        .choices(KEY_SCOPES)
        .default('power'),
    )
    .option('--vps <id>', 'limit the key to this VPS (repeatable)', collect, [])
    .option('--server <id>', 'limit the key to this game server (repeatable)', collect, [])
    .option('--expires-in <duration>', 'expire after 90s, 15m, 12h, 30d...', duration)
    .option('--name <label>', 'a label for operators')
    .option(
      '--allow-ip <address>',
      'only accept the key from this IPv4/IPv6 address or network, e.g. 192.0.2.0/24 (repeatable)',
      collect,
      [],
    )
    .option('--json', 'print JSON')
    .action(async (options: CreateOptions) =>
      withContainer(io, async ({ keys: service }) => {
        const resources: ResourceRef[] = [
          ...options.vps.map((id) => ({ type: 'vps' as const, id })),
          ...options.server.map((id) => ({ type: 'game' as const, id })),
        ];
        const { record, plaintext, customerMachines } = await service.create(
          {
            customerId: options.customer,
            scope: options.scope,
            resources,
            ...(options.expiresIn === undefined ? {} : { expiresInMs: options.expiresIn }),
            ...(options.name === undefined ? {} : { name: options.name }),
            allowedIps: options.allowIp,
          },
          cliActor(),
        );
        emit(io, options, { ...keyJson(record), key: plaintext }, () =>
          [
            `created ${record.id} for customer "${record.customerId}" (scope ${record.scope}, resources ${
              record.resources === null ? 'all' : resourcesJson(record).toString()
            }${record.expiresAt === null ? '' : `, expires ${isoOrNull(record.expiresAt)}`})`,
            '',
            `  ${plaintext}`,
            '',
            'This is the only time the key is shown. Store it now.',
          ].join('\n'),
        );
        warnIfNoMachines(io, options, record.customerId, customerMachines);
      }),
    );

  keys
    .command('show <key_id>')
    .description('show one key (never the key itself)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions) =>
      withContainer(io, async ({ keys: service }) => {
        const shown = keyJson(await service.get(id));
        emit(io, options, shown, () =>
          table(
            ['FIELD', 'VALUE'],
            Object.entries(shown).map(([field, value]) => [
              field,
              field === 'display_prefix'
                ? `${String(value)}…`
                : Array.isArray(value)
                  ? resourcesText(value)
                  : (value ?? '-'),
            ]),
          ),
        );
      }),
    );

  keys
    .command('revoke <key_id>')
    .description('revoke a key; takes effect on the very next request')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions & ConfirmOptions) =>
      withContainer(io, async ({ keys: service }) => {
        const key = await service.get(id);
        if (key.revokedAt === null) {
          await confirm(
            io,
            options,
            `Revoke ${key.id} of customer "${key.customerId}"${key.name === null ? '' : ` ("${key.name}")`}? Requests with it are refused from the next one on.`,
          );
        }
        const record = await service.revoke(id, cliActor());
        emit(
          io,
          options,
          keyJson(record),
          () => `revoked ${record.id} (customer "${record.customerId}")`,
        );
      }),
    );

  keys
    .command('rotate <key_id>')
    .description(
      'replace a key: a new key with the same customer, scope, machines, allowlist and expiry, printed once; the old one keeps working for the overlap, then expires',
    )
    .option(
      '--overlap <duration>',
      'how long the old key keeps working: 90s, 15m, 12h, 30d... (default 24h)',
      duration,
      DEFAULT_ROTATION_OVERLAP_MS,
    )
    .option('--json', 'print JSON')
    .action(async (id: string, options: RotateOptions) =>
      withContainer(io, async ({ keys: service }) => {
        const { created, old } = await service.rotate(id, options.overlap, cliActor());
        emit(
          io,
          options,
          { ...keyJson(created.record), key: created.plaintext, replaces: keyJson(old) },
          () =>
            [
              `created ${created.record.id} to replace ${old.id} (customer "${old.customerId}"); ${old.id} expires ${isoOrNull(old.expiresAt) ?? ''}`,
              '',
              `  ${created.plaintext}`,
              '',
              'This is the only time the key is shown. Store it now.',
            ].join('\n'),
        );
        warnIfNoMachines(io, options, created.record.customerId, created.customerMachines);
      }),
    );

  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--customer <customer_id>', "only this customer's keys")
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) =>
      withContainer(io, async ({ keys: service }) => {
        const rows = (await service.list(options.customer)).map(keyJson);
        emit(io, options, rows, () =>
          table(
            [
              'ID',
              'CUSTOMER',
              'SCOPE',
              'STATUS',
              'PREFIX',
              'RESOURCES',
              'ALLOWED IPS',
              'EXPIRES',
              'LAST USED',
              'NAME',
            ],
            rows.map((r) => [
              r.id,
              r.customer_id,
              r.scope,
              r.status,
              `${r.display_prefix}…`,
              resourcesText(r.resources),
              Array.isArray(r.allowed_ips) ? r.allowed_ips.join(',') : r.allowed_ips,
              r.expires_at ?? '-',
              r.last_used_at ?? '-',
              r.name ?? '',
            ]),
          ),
        );
      }),
    );
};
