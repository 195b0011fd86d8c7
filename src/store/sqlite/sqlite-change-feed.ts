import type { Database, Statement } from 'better-sqlite3';
import type { ChangeFeed } from '../store.js';

/**
 * Notices configuration changes made by any connection, in this process or another (the CLI),
 * at the cost of one `PRAGMA data_version` per poll. That pragma changes on every commit of
 * another connection, audit writes included, so the config version row settles whether keys,
 * resources or providers really changed.
 */
export class SqliteChangeFeed implements ChangeFeed {
  readonly #db: Database;
  #dataVersion: Statement | undefined;
  #configVersion: Statement | undefined;
  #lastData = -1;
  #lastConfig = -1;
  #localChange = false;

  constructor(db: Database) {
    this.#db = db;
  }

  /** A change committed through this very connection, which `data_version` does not report. */
  markLocalChange(): void {
    this.#localChange = true;
  }

  poll(): boolean {
    this.#dataVersion ??= this.#db.prepare('PRAGMA data_version').pluck();
    const data = this.#dataVersion.get() as number;
    if (data === this.#lastData && !this.#localChange) return false;
    this.#lastData = data;
    this.#localChange = false;
    this.#configVersion ??= this.#db
      .prepare("SELECT value FROM heo_meta WHERE name = 'config_version'")
      .pluck();
    const config = this.#configVersion.get() as number;
    if (config === this.#lastConfig) return false;
    this.#lastConfig = config;
    return true;
  }
}
