import { Command } from 'commander';
import type { CliIo } from './io.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerProviderCommands } from './commands/providers.js';
import { registerResourceCommands } from './commands/resources.js';
import { registerServeCommand } from './commands/serve.js';

export const buildProgram = (io: CliIo): Command => {
  const program = new Command('heo-power')
    .description('heo-power: power control for VPS and game servers, and its operator tools')
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
  registerAuditCommand(program, io);
  return program;
};
