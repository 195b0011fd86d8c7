import type { Command } from 'commander';
import { PROVIDER_TYPES } from '../../providers/provider-type.js';
import type { ProviderOptions } from '../../providers/provider.js';
import type { ProviderUpdate } from '../../services/machine-service.js';
import { displaySettings } from '../../providers/settings.js';
import { providerJson } from '../../services/views.js';
import { testProvider } from '../../services/provider-test.js';
import { AdminError } from '../../domain/admin-error.js';
import { confirm, type ConfirmOptions } from '../confirm.js';
import type { CliIo } from '../io.js';
import { emit, isoOrNull, type OutputOptions, table } from '../output.js';
import { positiveInteger } from '../parsers.js';
import { cliActor, withContainer } from '../session.js';

interface AddOptions extends OutputOptions, ProviderOptions {
  readonly type: string;
}

type UpdateOptions = OutputOptions & ProviderUpdate;

const TOKEN_HELP =
  'proxmox: USER@REALM!TOKENID=SECRET; pterodactyl: a client API key (ptlc_… or pacc_…); "-" reads it from standard input';

/** `--token -` reads the token from standard input, which keeps it out of shell history. */
const tokenOf = (io: CliIo, token: string | undefined): string | undefined => {
  if (token !== '-') return token;
  const text = io.readInput().trim();
  if (text === '') throw new AdminError('--token -: nothing was read from standard input');
  return text;
};

export const registerProviderCommands = (program: Command, io: CliIo): void => {
  const providers = program
    .command('providers')
    .description('manage the back-ends that run machines');

  providers
    .command('add <name>')
    .description('register a provider')
    .requiredOption('--type <type>', `provider type (${PROVIDER_TYPES.join(', ')})`)
    .option('--url <url>', 'proxmox, pterodactyl: the API address, e.g. https://pve1:8006')
    .option('--token <token>', TOKEN_HELP)
    .option('--ca-file <pem>', 'proxmox, pterodactyl: trust the CA certificate(s) in this PEM file')
    .option('--insecure-tls', 'proxmox, pterodactyl: do not verify the certificate (not advised)')
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
      withContainer(io, async ({ machines }) => {
        const token = tokenOf(io, options.token);
        const record = await machines.registerProvider(
          name,
          options.type,
          { ...options, ...(token === undefined ? {} : { token }) },
          cliActor(),
        );
        emit(
          io,
          options,
          {
            name: record.name,
            type: record.type,
            settings: displaySettings(record.settings),
            credential: record.secretHint,
          },
          () =>
            `provider "${record.name}" (${record.type}) added${record.secretHint === null ? '' : `, credential ${record.secretHint} stored encrypted`}; check it with "heo-power providers test ${record.name}"`,
        );
      }),
    );

  providers
    .command('list')
    .description('list providers (credentials are never shown, only a masked hint)')
    .option('--json', 'print JSON')
    .action(async (options: OutputOptions) =>
      withContainer(io, async ({ machines }) => {
        const rows = (await machines.listProviders()).map(({ record, resources }) =>
          providerJson(record, resources),
        );
        emit(io, options, rows, () =>
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

  providers
    .command('test <name>')
    .description('check that heo-power can reach the provider and that it accepts the credential')
    .option('--json', 'print JSON')
    .action(async (name: string, options: OutputOptions) =>
      withContainer(io, async ({ store, providers: registry }) => {
        const result = await testProvider(store.providers, registry, name);
        emit(io, options, { ...result }, () => `${result.ok ? 'ok' : 'FAILED'}: ${result.message}`);
        if (!result.ok) io.exitCode = 1;
      }),
    );

  providers
    .command('set-token <name>')
    .description(
      "replace a provider's credential (a new token, or after HEO_SECRET_KEY changed); it is sealed with the current key",
    )
    .requiredOption('--token <token>', 'the new credential; "-" reads it from standard input')
    .option('--json', 'print JSON')
    .action(async (name: string, options: OutputOptions & { readonly token: string }) =>
      withContainer(io, async ({ machines }) => {
        const record = await machines.replaceCredential(
          name,
          tokenOf(io, options.token) ?? '',
          cliActor(),
        );
        emit(
          io,
          options,
          { name, credential: record.secretHint },
          () =>
            `credential of provider "${name}" replaced: ${record.secretHint ?? ''}; check it with "heo-power providers test ${name}"`,
        );
      }),
    );

  providers
    .command('update <name>')
    .description(
      'change what "providers add" set, but the type: URL, credential, CA, timeouts; everything is checked again, and every instance uses it from its next request',
    )
    .option('--url <url>', 'proxmox, pterodactyl: the new API address')
    .option('--token <token>', `a new credential (${TOKEN_HELP})`)
    .option('--ca-file <pem>', 'proxmox, pterodactyl: trust the CA certificate(s) in this PEM file')
    .option('--insecure-tls', 'proxmox, pterodactyl: do not verify the certificate (not advised)')
    .option(
      '--system-ca',
      'proxmox, pterodactyl: drop --ca-file and --insecure-tls: verify with the system CAs',
    )
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
    .action(async (name: string, options: UpdateOptions) =>
      withContainer(io, async ({ machines }) => {
        const token = tokenOf(io, options.token);
        const { record, changed } = await machines.updateProvider(
          name,
          { ...options, ...(token === undefined ? {} : { token }) },
          cliActor(),
        );
        emit(
          io,
          options,
          {
            name: record.name,
            type: record.type,
            settings: displaySettings(record.settings),
            credential: record.secretHint,
            changed: [...changed],
            updated_at: isoOrNull(record.updatedAt),
          },
          () =>
            `provider "${record.name}" updated (${changed.length === 0 ? 'nothing differed' : `changed: ${changed.join(', ')}`}); check it with "heo-power providers test ${record.name}"`,
        );
      }),
    );

  providers
    .command('remove <name>')
    .description('remove a provider that no machine uses any more')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (name: string, options: OutputOptions & ConfirmOptions) =>
      withContainer(io, async ({ machines }) => {
        // A provider still in use is refused without a question.
        const { resources } = await machines.getProvider(name);
        if (resources === 0) await confirm(io, options, `Remove provider "${name}"?`);
        await machines.removeProvider(name, cliActor());
        emit(io, options, { name, removed: true }, () => `provider "${name}" removed`);
      }),
    );
};
