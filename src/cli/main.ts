#!/usr/bin/env node
import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { SecretError } from '../secrets/secret-error.js';
import { AdminError } from '../domain/admin-error.js';
import { SchemaOutdatedError, StoreUnavailableError } from '../store/errors.js';
import { buildProgram } from './program.js';

/** Exit codes: 0 success, 1 refused or failed, 2 bad usage. */
const fail = (message: string, code: number): never => {
  process.stderr.write(`heo-power: ${message.split('\n')[0]}\n`);
  process.exit(code);
};

const program = buildProgram();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
      process.exit(0);
    // Help was printed to stderr because a command was incomplete.
    if (error.code === 'commander.help') process.exit(2);
    fail(error.message.replace(/^error: /, ''), 2);
  }
  if (
    error instanceof AdminError ||
    error instanceof ConfigError ||
    error instanceof SecretError ||
    error instanceof SchemaOutdatedError
  ) {
    fail(error.message, 1);
  }
  if (error instanceof StoreUnavailableError) fail(`database unavailable: ${error.message}`, 1);
  const message = error instanceof Error ? error.message : String(error);
  fail(`unexpected error: ${message}`, 1);
}
