import type { Command } from 'commander';
import type { ResourceType } from '../../domain/power.js';
import type { CliIo } from '../io.js';
import { emit, isoOrNull, type OutputOptions, table } from '../output.js';
import { cliActor, withContainer } from '../session.js';

interface AddOptions extends OutputOptions {
  readonly customer: string;
  readonly provider: string;
  readonly ref?: string;
}

interface ListOptions extends OutputOptions {
  readonly customer?: string;
}

const FAMILY_COMMANDS: readonly {
  readonly name: string;
  readonly type: ResourceType;
  readonly noun: string;
  readonly arg: string;
}[] = [
  { name: 'vps', type: 'vps', noun: 'VPS', arg: '<vps_id>' },
  { name: 'game', type: 'game', noun: 'game server', arg: '<server_id>' },
];

/** `vps add|list` and `game add|list`: the machines customers may power. */
export const registerResourceCommands = (program: Command, io: CliIo): void => {
  for (const family of FAMILY_COMMANDS) {
    const command = program.command(family.name).description(`manage ${family.noun}s`);

    command
      .command(`add ${family.arg}`)
      .description(`register a ${family.noun} of a customer, run by a provider`)
      .requiredOption('--customer <customer_id>', 'the customer who owns it')
      .requiredOption('--provider <name>', 'the provider that runs it')
      .option('--ref <provider-ref>', 'how the provider knows it (defaults to the id)')
      .option('--json', 'print JSON')
      .action(async (id: string, options: AddOptions) =>
        withContainer(io, async ({ machines }) => {
          const record = await machines.addResource(
            {
              type: family.type,
              id,
              customerId: options.customer,
              provider: options.provider,
              ...(options.ref === undefined ? {} : { ref: options.ref }),
            },
            cliActor(),
          );
          emit(
            io,
            options,
            {
              type: record.type,
              id: record.id,
              customer: record.customerId,
              provider: record.provider,
              ref: record.ref,
            },
            () =>
              `${family.noun} "${record.id}" added for customer "${record.customerId}" on provider "${record.provider}" (ref ${record.ref})`,
          );
        }),
      );

    command
      .command('list')
      .description(`list ${family.noun}s`)
      .option('--customer <customer_id>', "only this customer's")
      .option('--json', 'print JSON')
      .action(async (options: ListOptions) =>
        withContainer(io, async ({ store }) => {
          const records = await store.resources.list({
            type: family.type,
            ...(options.customer === undefined ? {} : { customerId: options.customer }),
          });
          const rows = records.map((r) => ({
            id: r.id,
            customer: r.customerId,
            provider: r.provider,
            ref: r.ref,
            created_at: isoOrNull(r.createdAt),
          }));
          emit(io, options, rows, () =>
            table(
              ['ID', 'CUSTOMER', 'PROVIDER', 'REF'],
              rows.map((r) => [r.id, r.customer, r.provider, r.ref]),
            ),
          );
        }),
      );
  }
};
