import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { CliIo } from './io.js';
import { registerActionsCommand } from './commands/actions.js';
import { registerAdminTokenCommands } from './commands/admin-tokens.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerProviderCommands } from './commands/providers.js';
import { registerResourceCommands } from './commands/resources.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWebhookCommands } from './commands/webhooks.js';

/** The version in package.json, which sits two folders up from src/cli and from dist/cli alike. */
const packageVersion = (): string => {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
};

export const buildProgram = (io: CliIo): Command => {
  const program = new Command('heo-power')
    .description('heo-power: power control for VPS and game servers, and its operator tools')
    .version(packageVersion(), '-v, --version', 'print the version of heo-power')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    // A command's options end where its subcommand starts (`audit --json` and `audit prune --json`).
    .enablePositionalOptions()
    // Subcommands inherit these: errors are thrown to main, which prints them as one line.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined,
    });
  registerServeCommand(program, io);
  registerDemoCommand(program, io);
  registerMigrateCommand(program, io);
  registerProviderCommands(program, io);
  registerResourceCommands(program, io);
  registerKeyCommands(program, io);
  registerAdminTokenCommands(program, io);
  registerWebhookCommands(program, io);
  registerAuditCommand(program, io);
  registerActionsCommand(program, io);
  return program;
};
