import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteDatabase } from './sqlite-database.js';

/**
 * Moves the WAL's committed pages into the database file off the event loop. A checkpoint copies
 * megabytes at a time; run inside a request's commit (SQLite's automatic checkpoint) it stalls
 * every request waiting on that turn of the loop, which showed as the p99 latency of the 200 path.
 *
 * Frequent PASSIVE checkpoints copy the pages without ever blocking the server's writers or the
 * CLI's readers. They cannot, however, let the WAL start over while the server keeps writing:
 * that needs a moment with no writer, which a RESTART checkpoint waits for. It is cheap because
 * the passive ones have already copied nearly everything, and it runs only once the WAL file has
 * grown past `restartBytes`, so the WAL stays bounded.
 */
export interface CheckpointSettings {
  readonly path: string;
  readonly intervalMs: number;
  readonly restartBytes: number;
}

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker must run in a worker thread');
const { path, intervalMs, restartBytes } = workerData as CheckpointSettings;
// A checkpoint copies pages from the WAL to the file and reads nothing back: a small cache does.
const db = openSqliteDatabase({ path, cacheKib: 512, busyTimeoutMs: 1_000 });

const walBytes = (): number => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};

// Changes whenever another connection commits: an idle server's ticks end at this read.
const dataVersion = db.prepare('PRAGMA data_version').pluck();
/** The data version whose every WAL frame is in the database file; `null`: none yet. */
let checkpointedAt: unknown = null;

interface CheckpointResult {
  /** 1 when a RESTART could not wait out the server's writers. */
  readonly busy: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  readonly log: number;
  readonly checkpointed: number;
}

const timer = setInterval(() => {
  try {
    const version = dataVersion.get();
    if (version === checkpointedAt) return;
    const [result] = db.pragma(
      walBytes() > restartBytes ? 'wal_checkpoint(RESTART)' : 'wal_checkpoint(PASSIVE)',
    ) as CheckpointResult[];
    // A reader's snapshot can hold frames back; until they are copied, every tick tries again.
    if (result !== undefined && result.busy === 0 && result.checkpointed === result.log) {
      checkpointedAt = version;
    }
  } catch {
    // Busy or unavailable: the next interval tries again; the WAL only grows meanwhile.
  }
}, intervalMs);
port.on('close', () => {
  clearInterval(timer);
  db.close();
});
