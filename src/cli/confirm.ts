import { AdminError } from '../domain/admin-error.js';
import type { CliIo } from './io.js';

export interface ConfirmOptions {
  readonly yes?: boolean;
}

/**
 * Asks the operator at a terminal to confirm a change that cannot be undone; `--yes` skips the
 * question, and without a terminal (a script, a pipe) nothing is asked. Anything but "y" or "yes"
 * cancels: nothing is changed and the command fails.
 */
export const confirm = async (
  io: CliIo,
  options: ConfirmOptions,
  question: string,
): Promise<void> => {
  if (options.yes === true || io.terminal === null) return;
  const answer = (await io.terminal.ask(`${question} [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes')
    throw new AdminError('cancelled: nothing was changed', 'cancelled');
};
