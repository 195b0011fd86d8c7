import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { AdminError } from '../domain/admin-error.js';
import { SecretError } from '../secrets/secret-error.js';
import { SchemaOutdatedError, StoreUnavailableError } from '../store/errors.js';
import type { CliIo } from './io.js';
import { buildProgram } from './program.js';

/** Exit codes: 0 success, 1 refused or failed, 2 bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

interface Failure {
  readonly code: number;
  /** What kind of failure, for `--json`: `usage`, an `AdminError` code, `config`... */
  readonly error: string;
  /** `null`: nothing to say (help was printed). */
  readonly message: string | null;
}

/** The exit code of a command that threw, and what to say about it. */
const failure = (error: unknown): Failure => {
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      // `heo-power help [command]` asked for it; a command without its subcommand gets exit 1.
      (error.code === 'commander.help' && error.exitCode === 0)
    )
      return { code: EXIT.ok, error: 'help', message: null };
    // Help was printed to stderr because a command was incomplete.
    if (error.code === 'commander.help') return { code: EXIT.usage, error: 'usage', message: null };
    // Commander's suggestion ("(Did you mean add?)") comes on a line of its own: keep it.
    const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    return { code: EXIT.usage, error: 'usage', message };
  }
  if (error instanceof AdminError)
    return { code: EXIT.failed, error: error.code, message: error.message };
  if (error instanceof ConfigError)
    return { code: EXIT.failed, error: 'config', message: error.message };
  if (error instanceof SecretError)
    return { code: EXIT.failed, error: 'secret', message: error.message };
  if (error instanceof SchemaOutdatedError)
    return { code: EXIT.failed, error: 'schema_outdated', message: error.message };
  if (error instanceof StoreUnavailableError)
    return {
      code: EXIT.failed,
      error: 'store_unavailable',
      message: `database unavailable: ${error.message}`,
    };
  const message = error instanceof Error ? error.message : String(error);
  return { code: EXIT.failed, error: 'unexpected', message: `unexpected error: ${message}` };
};

/** Whether the command asked for JSON (`--json` before any `--`). */
const wantsJson = (args: readonly string[]): boolean => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
};

/**
 * Runs one heo-power command (`args` without the node and script paths) and returns its exit
 * code. A failure is one line on stderr: `heo-power: <message>`, or with `--json` one JSON
 * object, `{"error": "<kind>", "message": "<message>"}`. Long-running commands (`serve`, `demo`)
 * return once the server is up.
 */
export const runCli = async (args: readonly string[], io: CliIo): Promise<number> => {
  try {
    await buildProgram(io).parseAsync(args, { from: 'user' });
    return io.exitCode;
  } catch (error) {
    const { code, error: kind, message } = failure(error);
    if (message !== null) {
      const line = message.split('\n')[0] ?? '';
      io.stderr.write(
        wantsJson(args)
          ? `${JSON.stringify({ error: kind, message: line })}\n`
          : `heo-power: ${line}\n`,
      );
    }
    return code;
  }
};
