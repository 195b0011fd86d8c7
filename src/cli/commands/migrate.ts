import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';
import { openStore } from '../../store/open-store.js';
import type { CliIo } from '../io.js';
import { emit, type OutputOptions } from '../output.js';

export const registerMigrateCommand = (program: Command, io: CliIo): void => {
  program
    .command('migrate')
    .description('apply pending database migrations, in order')
    .option('--json', 'print JSON')
    .action(async (options: OutputOptions) => {
      const config = loadConfig(io.env);
      const level = io.env.LOG_LEVEL === undefined ? 'info' : config.logLevel;
      const store = await openStore({
        databaseUrl: config.databaseUrl,
        poolSize: config.storePoolSize,
        timeoutMs: config.storeTimeoutMs,
        logger: createLogger(level, io.stderr),
        watchChanges: false,
      });
      try {
        const applied = await store.migrate();
        const status = await store.migrationStatus();
        emit(
          io,
          options,
          { applied: [...applied], version: status.current, location: store.location },
          () =>
            applied.length === 0
              ? `schema is up to date (version ${status.current}) at ${store.location}`
              : `applied ${applied.join(', ')}; schema is at version ${status.current} at ${store.location}`,
        );
      } finally {
        await store.close();
      }
    });
};
