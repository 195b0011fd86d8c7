import type { Command } from 'commander';
import type { ResourceType } from '../../domain/power.js';
import type { ResourceOutcome } from '../../store/store.js';
import { machineJson } from '../../services/views.js';
import { confirm, type ConfirmOptions } from '../confirm.js';
import type { CliIo } from '../io.js';
import { emit, type OutputOptions, table } from '../output.js';
import { cliActor, withContainer } from '../session.js';

interface AddOptions extends OutputOptions {
  readonly customer: string;
  readonly provider: string;
  readonly ref?: string;
}

interface PlaceOptions extends OutputOptions {
  readonly provider?: string;
  readonly ref?: string;
}

interface MoveOptions extends PlaceOptions {
  readonly customer: string;
}

interface ListOptions extends OutputOptions {
  readonly customer?: string;
}

interface Family {
  readonly name: string;
  readonly type: ResourceType;
  readonly noun: string;
  readonly arg: string;
}

const FAMILY_COMMANDS: readonly Family[] = [
  { name: 'vps', type: 'vps', noun: 'VPS', arg: '<vps_id>' },
  { name: 'game', type: 'game', noun: 'game server', arg: '<server_id>' },
];

const placement = (options: PlaceOptions) => ({
  ...(options.provider === undefined ? {} : { provider: options.provider }),
  ...(options.ref === undefined ? {} : { ref: options.ref }),
});

/** What became of the keys that named the machine, for the human-readable line. */
const unscopedText = (outcome: ResourceOutcome, whose: string): string =>
  outcome.unscopedKeys.length === 0
    ? ''
    : `; ${outcome.unscopedKeys.length} key${outcome.unscopedKeys.length === 1 ? '' : 's'} of ${whose} no longer name${outcome.unscopedKeys.length === 1 ? 's' : ''} it (${outcome.unscopedKeys.join(', ')})`;

const registerFamily = (program: Command, io: CliIo, family: Family): void => {
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
          machineJson(record),
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
      withContainer(io, async ({ machines }) => {
        const records = await machines.listResources({
          type: family.type,
          ...(options.customer === undefined ? {} : { customerId: options.customer }),
        });
        const rows = records.map(machineJson);
        emit(io, options, rows, () =>
          table(
            ['ID', 'CUSTOMER', 'PROVIDER', 'REF', 'ASSIGNED'],
            rows.map((r) => [r.id, r.customer_id, r.provider, r.ref, r.assigned_at ?? '-']),
          ),
        );
      }),
    );

  command
    .command(`show ${family.arg}`)
    .description(`show one ${family.noun}`)
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions) =>
      withContainer(io, async ({ machines }) => {
        const shown = machineJson(await machines.getResource(family.type, id));
        emit(io, options, shown, () =>
          table(
            ['FIELD', 'VALUE'],
            Object.entries(shown).map(([field, value]) => [field, value ?? '-']),
          ),
        );
      }),
    );

  command
    .command(`update ${family.arg}`)
    .description(
      `change where a ${family.noun} runs (its provider, its ref); it stays with its customer`,
    )
    .option('--provider <name>', 'the provider that runs it now')
    .option('--ref <provider-ref>', 'how that provider knows it')
    .option('--json', 'print JSON')
    .action(async (id: string, options: PlaceOptions) =>
      withContainer(io, async ({ machines }) => {
        const outcome = await machines.updateResource(
          family.type,
          id,
          placement(options),
          cliActor(),
        );
        const after = outcome.after ?? outcome.before;
        emit(
          io,
          options,
          machineJson(after),
          () =>
            `${family.noun} "${id}" now runs on provider "${after.provider}" (ref ${after.ref})`,
        );
      }),
    );

  command
    .command(`move ${family.arg}`)
    .description(
      `give a ${family.noun} to another customer, at once on every instance: the old customer's keys lose it, the new customer's all-machines keys reach it`,
    )
    .requiredOption('--customer <customer_id>', 'the customer it belongs to from now on')
    .option('--provider <name>', 'also move it to this provider')
    .option('--ref <provider-ref>', 'also change how the provider knows it')
    .option('--json', 'print JSON')
    .action(async (id: string, options: MoveOptions) =>
      withContainer(io, async ({ machines }) => {
        const outcome = await machines.moveResource(
          family.type,
          id,
          options.customer,
          placement(options),
          cliActor(),
        );
        const after = outcome.after ?? outcome.before;
        emit(
          io,
          options,
          {
            ...machineJson(after),
            previous_customer_id: outcome.before.customerId,
            unscoped_keys: [...outcome.unscopedKeys],
          },
          () =>
            `${family.noun} "${id}" moved from customer "${outcome.before.customerId}" to customer "${after.customerId}" (provider "${after.provider}", ref ${after.ref})${unscopedText(outcome, `customer "${outcome.before.customerId}"`)}`,
        );
      }),
    );

  command
    .command(`remove ${family.arg}`)
    .description(
      `remove a ${family.noun}: every key gets the 403 of an unknown id for it from the next request on`,
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions & ConfirmOptions) =>
      withContainer(io, async ({ machines }) => {
        const record = await machines.getResource(family.type, id);
        await confirm(
          io,
          options,
          `Remove ${family.noun} "${id}" of customer "${record.customerId}"? Its customer's keys lose it at once.`,
        );
        const outcome = await machines.removeResource(family.type, id, cliActor());
        emit(
          io,
          options,
          {
            ...machineJson(outcome.before),
            removed: true,
            unscoped_keys: [...outcome.unscopedKeys],
          },
          () =>
            `${family.noun} "${id}" of customer "${outcome.before.customerId}" removed${unscopedText(outcome, 'that customer')}`,
        );
      }),
    );
};

/** `vps add|list|show|update|move|remove` and the same for `game`. */
export const registerResourceCommands = (program: Command, io: CliIo): void => {
  for (const family of FAMILY_COMMANDS) registerFamily(program, io, family);
};
