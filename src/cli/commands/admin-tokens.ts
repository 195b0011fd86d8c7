import type { Command } from 'commander';
import { adminTokenJson } from '../../services/views.js';
import { confirm, type ConfirmOptions } from '../confirm.js';
import type { CliIo } from '../io.js';
import { emit, type OutputOptions, table } from '../output.js';
import { cliActor, withContainer } from '../session.js';

interface CreateOptions extends OutputOptions {
  readonly name?: string;
}

/** `admin-tokens create|list|revoke`: the credentials of the admin HTTP API. */
export const registerAdminTokenCommands = (program: Command, io: CliIo): void => {
  const tokens = program
    .command('admin-tokens')
    .description("manage tokens of the admin HTTP API (the hosting company's own systems)");

  tokens
    .command('create')
    .description('create an admin token; the token is printed once and never again')
    .option('--name <label>', 'a label for operators, e.g. the system that uses it')
    .option('--json', 'print JSON')
    .action(async (options: CreateOptions) =>
      withContainer(io, async ({ adminTokens }) => {
        const { record, plaintext } = await adminTokens.create(options.name, cliActor());
        emit(io, options, { ...adminTokenJson(record), token: plaintext }, () =>
          [
            `created admin token ${record.id}${record.name === null ? '' : ` ("${record.name}")`}`,
            '',
            `  ${plaintext}`,
            '',
            'This is the only time the token is shown. Store it now.',
          ].join('\n'),
        );
      }),
    );

  tokens
    .command('list')
    .description('list admin tokens (never the tokens themselves)')
    .option('--json', 'print JSON')
    .action(async (options: OutputOptions) =>
      withContainer(io, async ({ adminTokens }) => {
        const rows = (await adminTokens.list()).map(adminTokenJson);
        emit(io, options, rows, () =>
          table(
            ['ID', 'STATUS', 'PREFIX', 'CREATED', 'REVOKED', 'NAME'],
            rows.map((r) => [
              r.id,
              r.status,
              `${r.display_prefix}…`,
              r.created_at ?? '-',
              r.revoked_at ?? '-',
              r.name ?? '',
            ]),
          ),
        );
      }),
    );

  tokens
    .command('revoke <token_id>')
    .description('revoke an admin token; refused from the very next request, on every instance')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print JSON')
    .action(async (id: string, options: OutputOptions & ConfirmOptions) =>
      withContainer(io, async ({ adminTokens }) => {
        const token = await adminTokens.get(id);
        if (token.revokedAt === null) {
          await confirm(
            io,
            options,
            `Revoke admin token ${token.id}${token.name === null ? '' : ` ("${token.name}")`}? Requests with it are refused from the next one on.`,
          );
        }
        const record = await adminTokens.revoke(id, cliActor());
        emit(io, options, adminTokenJson(record), () => `revoked admin token ${record.id}`);
      }),
    );
};
