import { type Command, InvalidArgumentError, Option } from 'commander';
import { RESOURCE_TYPES, type ResourceType } from '../../domain/power.js';
import { decodeActionCursor, encodeActionCursor } from '../../services/action-cursor.js';
import { actionRecordJson } from '../../services/views.js';
import type { CliIo } from '../io.js';
import { emit, type OutputOptions, table, warn } from '../output.js';
import { positiveInteger } from '../parsers.js';
import { withContainer } from '../session.js';

interface ActionsOptions extends OutputOptions {
  readonly limit: number;
  readonly cursor?: string;
}

const cursorOption = (value: string) => {
  const position = decodeActionCursor(value);
  if (position === undefined) {
    throw new InvalidArgumentError(
      'not a cursor this command printed; use the one printed with the page before',
    );
  }
  return position;
};

/**
 * `actions <vps|game> <id>`: what was asked of a machine, newest first, from the store: every
 * action it has a row of, whichever customer it belonged to then.
 */
export const registerActionsCommand = (program: Command, io: CliIo): void => {
  program
    .command('actions')
    .description("list a machine's power actions, newest first (every customer's)")
    .addArgument(
      program.createArgument('<type>', 'vps or game').choices(RESOURCE_TYPES as readonly string[]),
    )
    .argument('<id>', 'the VPS or game server id')
    .option('--limit <n>', 'how many actions per page', positiveInteger(1_000), 20)
    .addOption(
      new Option('--cursor <cursor>', 'the page after the one that printed this cursor').argParser(
        cursorOption,
      ),
    )
    .option('--json', 'print JSON')
    .action(async (type: ResourceType, id: string, options: ActionsOptions) =>
      withContainer(io, async ({ store, machines }) => {
        const after = options.cursor as ReturnType<typeof cursorOption> | undefined;
        const [machine, page] = await Promise.all([
          store.resources.get(type, id),
          store.actions.list(type, id, {
            since: 0,
            limit: options.limit,
            ...(after === undefined ? {} : { after }),
          }),
        ]);
        if (machine === undefined) {
          // A typo says so; a machine removed since keeps its actions, shown with a warning.
          if (page.actions.length === 0 && after === undefined) {
            await machines.getResource(type, id);
          }
          warn(io, options, 'unknown_machine', `${type} "${id}" is not registered (any more)`);
        }
        const rows = page.actions.map(actionRecordJson);
        emit(io, options, rows, () =>
          table(
            ['REQUESTED', 'ACTION_ID', 'ACTION', 'STATUS', 'FINISHED', 'ERROR', 'CUSTOMER', 'KEY'],
            rows.map((a) => [
              a.requested_at ?? '-',
              a.action_id,
              a.action,
              a.status,
              a.finished_at ?? '-',
              a.error ?? '-',
              a.customer_id,
              a.key_id,
            ]),
          ),
        );
        if (page.next === null) return;
        const more = `more actions: --cursor ${encodeActionCursor(page.next)}\n`;
        // stdout keeps its one JSON document with --json; the way on is said beside it.
        if (options.json === true) io.stderr.write(more);
        else io.stdout.write(more);
      }),
    );
};
