import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { runServer } from '../../server.js';

export const registerServeCommand = (program: Command): void => {
  program
    .command('serve')
    .description('start the API (configured by environment variables)')
    .action(async () => {
      await runServer(loadConfig());
    });
};
