import type { Database, Statement } from 'better-sqlite3';
import type { ChangeFeed } from '../store.js';

/**
 * Notices configuration changes made by any connection, in this process or another (the CLI).
 *
 * `PRAGMA data_version` changes on every commit of another connection, audit writes included, so
 * the config version row settles whether keys, resources or providers really changed.
 *
 * The pragma is read once per turn of the event loop, not once per request. That keeps the promise
 * of "the very next request": every request handled in a turn was received before the turn's first
 * poll (its bytes were ready when the loop woke up), so a change committed after that poll can
 * only concern requests received later, which a later turn handles with a fresh poll. A change
 * made through this very connection is seen at once.
 */
export class SqliteChangeFeed implements ChangeFeed {
  readonly #db: Database;
  #dataVersion: Statement | undefined;
  #configVersion: Statement | undefined;
  #lastData = -1;
  #lastConfig = -1;
  #localChange = false;
  #polledThisTurn = false;
  readonly #endTurn = () => {
    this.#polledThisTurn = false;
  };

  constructor(db: Database) {
    this.#db = db;
  }

  /** A change committed through this very connection, which `data_version` does not report. */
  markLocalChange(): void {
    this.#localChange = true;
  }

  poll(): boolean {
    if (this.#localChange) {
      this.#localChange = false;
      this.#readConfigVersion();
      return true;
    }
    if (this.#polledThisTurn) return false;
    this.#polledThisTurn = true;
    setImmediate(this.#endTurn);
    this.#dataVersion ??= this.#db.prepare('PRAGMA data_version').pluck();
    const data = this.#dataVersion.get() as number;
    if (data === this.#lastData) return false;
    this.#lastData = data;
    return this.#readConfigVersion();
  }

  /** `true` when the config version moved since it was last read. */
  #readConfigVersion(): boolean {
    this.#configVersion ??= this.#db
      .prepare("SELECT value FROM heo_meta WHERE name = 'config_version'")
      .pluck();
    const config = this.#configVersion.get() as number;
    if (config === this.#lastConfig) return false;
    this.#lastConfig = config;
    return true;
  }
}
