import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import type { CliIo } from '../io.js';

export const registerServeCommand = (program: Command, io: CliIo): void => {
  program
    .command('serve')
    .description('start the API (configured by environment variables)')
    .action(async () => {
      // The HTTP stack loads only for the commands that serve.
      const { runServer } = await import('../../server.js');
      await runServer(loadConfig(io.env));
    });
};
