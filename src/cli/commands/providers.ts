import type { Command } from 'commander';
import type { ProviderOptions } from '../../providers/provider.js';
import { AdminError } from '../../services/admin-error.js';
import { PROVIDER_TYPES, type ProviderType } from '../../store/store.js';
import { emit, isoOrNull, type OutputOptions, table } from '../output.js';
import { positiveInteger } from '../parsers.js';
import { cliActor, withContainer } from '../session.js';

interface AddOptions extends OutputOptions, ProviderOptions {
  readonly type: string;
}

export const registerProviderCommands = (program: Command): void => {
  const providers = program
    .command('providers')
    .description('manage the back-ends that run machines');

  providers
    .command('add <name>')
    .description('register a provider')
    .requiredOption('--type <type>', `provider type (${PROVIDER_TYPES.join(', ')})`)
    .option(
      '--timeout-ms <n>',
      'time limit for each call to this provider',
      positiveInteger(300_000),
    )
    .option(
      '--transition-ms <n>',
      'simulator: how long each power transition takes',
      positiveInteger(600_000),
    )
    .option('--json', 'print JSON')
    .action(async (name: string, options: AddOptions) =>
      withContainer(async ({ inventory, kinds }) => {
        const kind = kinds.get(options.type as ProviderType);
        if (kind === undefined) {
          throw new AdminError(
            `unknown provider type "${options.type}" (known: ${[...kinds.keys()].join(', ')})`,
          );
        }
        const { settings } = kind.configure(options);
        const record = await inventory.addProvider({ name, type: kind.type, settings }, cliActor());
        emit(
          options,
          { name: record.name, type: record.type, settings: record.settings },
          () => `provider "${record.name}" (${record.type}) added`,
        );
      }),
    );

  providers
    .command('list')
    .description('list providers (credentials are never shown)')
    .option('--json', 'print JSON')
    .action(async (options: OutputOptions) =>
      withContainer(async ({ store }) => {
        const records = await store.providers.list();
        const rows = await Promise.all(
          records.map(async (p) => ({
            name: p.name,
            type: p.type,
            settings: p.settings,
            credential: p.secretHint,
            resources: await store.resources.countByProvider(p.name),
            created_at: isoOrNull(p.createdAt),
          })),
        );
        emit(options, rows, () =>
          table(
            ['NAME', 'TYPE', 'RESOURCES', 'CREDENTIAL', 'SETTINGS'],
            rows.map((r) => [
              r.name,
              r.type,
              String(r.resources),
              r.credential ?? '-',
              JSON.stringify(r.settings),
            ]),
          ),
        );
      }),
    );
};
