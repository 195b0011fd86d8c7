import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { AdminError } from '../domain/admin-error.js';
import { SecretError } from '../secrets/secret-error.js';
import { SchemaOutdatedError, StoreUnavailableError } from '../store/errors.js';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';

/** Exit codes: 0 success, 1 refused or failed, 2 bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The exit code of a command that threw, and the one line that says why (none for help). */
const failure = (error: unknown): { readonly code: number; readonly message: string | null } => {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
      return { code: EXIT.ok, message: null };
    // Help was printed to stderr because a command was incomplete.
    if (error.code === 'commander.help') return { code: EXIT.usage, message: null };
    return { code: EXIT.usage, message: error.message.replace(/^error: /, '') };
  }
  if (
    error instanceof AdminError ||
    error instanceof ConfigError ||
    error instanceof SecretError ||
    error instanceof SchemaOutdatedError
  ) {
    return { code: EXIT.failed, message: error.message };
  }
  if (error instanceof StoreUnavailableError)
    return { code: EXIT.failed, message: `database unavailable: ${error.message}` };
  const message = error instanceof Error ? error.message : String(error);
  return { code: EXIT.failed, message: `unexpected error: ${message}` };
};

/**
 * Runs one heo-power command (`args` without the node and script paths) and returns its exit
 * code; a failure is one line on stderr. Long-running commands (`serve`, `demo`) return once the
 * server is up.
 */
export const runCli = async (args: readonly string[], io: CliIo): Promise<number> => {
  try {
    await buildProgram(io).parseAsync(args, { from: 'user' });
    return io.exitCode;
  } catch (error) {
    const { code, message } = failure(error);
    if (message !== null) io.stderr.write(`heo-power: ${message.split('\n')[0] ?? ''}\n`);
    return code;
  }
};
