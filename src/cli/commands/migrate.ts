import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';
import { openStore } from '../../store/open-store.js';
import { emit, type OutputOptions } from '../output.js';

export const registerMigrateCommand = (program: Command): void => {
  program
    .command('migrate')
    .description('apply pending database migrations, in order')
    .option('--json', 'print JSON')
    .action(async (options: OutputOptions) => {
      const config = loadConfig();
      const level = process.env.LOG_LEVEL === undefined ? 'info' : config.logLevel;
      const store = await openStore({
        databaseUrl: config.databaseUrl,
        poolSize: config.storePoolSize,
        timeoutMs: config.storeTimeoutMs,
        logger: createLogger(level, process.stderr),
        watchChanges: false,
      });
      try {
        const applied = await store.migrate();
        const status = await store.migrationStatus();
        emit(
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
