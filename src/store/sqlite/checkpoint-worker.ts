import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteDatabase } from './open-sqlite.js';

/**
 * Moves the WAL's committed pages into the database file off the event loop. A checkpoint copies
 * megabytes at a time; run inside a request's commit (SQLite's automatic checkpoint) it stalls
 * every request waiting on that turn of the loop, which showed as the p99 latency of the 200 path.
 * PASSIVE never blocks the server's writers or the CLI's readers.
 */
export interface CheckpointSettings {
  readonly path: string;
  readonly intervalMs: number;
}

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker must run in a worker thread');
const { path, intervalMs } = workerData as CheckpointSettings;
const db = openSqliteDatabase({ path });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or unavailable: the next interval tries again; the WAL only grows meanwhile.
  }
}, intervalMs);
port.on('close', () => {
  clearInterval(timer);
  db.close();
});
