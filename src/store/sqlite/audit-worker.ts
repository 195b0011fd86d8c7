import { parentPort, workerData } from 'node:worker_threads';
import { INSERT_ACTION_ROW } from '../sql/actions.js';
import { INSERT_AUDIT_ROW } from '../sql/audit.js';
import { COMPLETE_IDEMPOTENCY_ROW } from '../sql/idempotency.js';
import type { SqlValue } from '../sql/executor.js';
import { ENQUEUE_FOR_CUSTOMER } from '../sql/webhooks.js';
import { openSqliteDatabase } from './sqlite-database.js';

/**
 * The audit writer's own thread when the audit must survive power loss: its connection commits
 * with `synchronous=FULL`, so every batch is fsynced before the request threads hear back, and
 * the fsync waits here instead of blocking the event loop that serves requests.
 */
export interface AuditBatchMessage {
  readonly id: number;
  readonly rows: readonly (readonly SqlValue[])[];
  /** The action rows the batch's accepted entries started, committed with them. */
  readonly actions: readonly (readonly SqlValue[])[];
  /** The completions of the `Idempotency-Key` claims of the batch's requests, committed with them. */
  readonly completions: readonly (readonly SqlValue[])[];
  /** The webhook deliveries of the requested events, queued with them. */
  readonly events: readonly (readonly SqlValue[])[];
}

export interface AuditAckMessage {
  readonly id: number;
  readonly error?: { readonly message: string; readonly code?: string };
}

const port = parentPort;
if (port === null) throw new Error('audit-worker must run in a worker thread');
const { path } = workerData as { readonly path: string };
// A locked database answers at once (SQLITE_BUSY): the audit writer waits for the lock itself,
// pause by pause, and never past its deadline, which a wait inside SQLite would not count.
const db = openSqliteDatabase({ path, synchronous: 'FULL', busyTimeoutMs: 0 });
// Prepared on the first batch: the thread may start before the schema is migrated.
type Rows = readonly (readonly SqlValue[])[];
let appendAll: ((rows: Rows, actions: Rows, completions: Rows, events: Rows) => void) | undefined;
const prepare = () => {
  const insert = db.prepare(INSERT_AUDIT_ROW);
  const insertAction = db.prepare(INSERT_ACTION_ROW);
  const complete = db.prepare(COMPLETE_IDEMPOTENCY_ROW);
  const enqueue = db.prepare(ENQUEUE_FOR_CUSTOMER);
  return db.transaction((rows: Rows, actions: Rows, completions: Rows, events: Rows) => {
    for (const row of rows) insert.run(...row);
    for (const row of actions) insertAction.run(...row);
    for (const row of completions) complete.run(...row);
    for (const row of events) enqueue.run(...row);
  });
};

port.on('message', ({ id, rows, actions, completions, events }: AuditBatchMessage) => {
  let ack: AuditAckMessage;
  try {
    appendAll ??= prepare();
    appendAll(rows, actions, completions, events);
    ack = { id };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    ack = {
      id,
      error: {
        message: error instanceof Error ? error.message : String(error),
        ...(typeof code === 'string' ? { code } : {}),
      },
    };
  }
  port.postMessage(ack);
});
port.on('close', () => db.close());
