import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerProviderCommands } from './commands/providers.js';
import { registerResourceCommands } from './commands/resources.js';
import { registerServeCommand } from './commands/serve.js';

export const buildProgram = (): Command => {
  const program = new Command('heo-power')
    .description('heo-power: power control for VPS and game servers, and its operator tools')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    // Subcommands inherit these: errors are thrown to main, which prints them as one line.
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  registerServeCommand(program);
  registerDemoCommand(program);
  registerMigrateCommand(program);
  registerProviderCommands(program);
  registerResourceCommands(program);
  registerKeyCommands(program);
  registerAuditCommand(program);
  return program;
};
