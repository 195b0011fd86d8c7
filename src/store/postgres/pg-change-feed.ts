import type { Client, Notification } from 'pg';
import type { Log } from '../../logger.js';
import type { ChangeFeed } from '../store.js';
import { describePgError } from './pg-errors.js';

export interface PostgresChangeFeedOptions {
  /** A new, unconnected client with the store's settings (connect timeout, query timeout). */
  readonly newClient: () => Client;
  /** The notification channel configuration changes are announced on. */
  readonly channel: string;
  /** How often the listening connection is checked; a silent network failure shows within this. */
  readonly heartbeatMs: number;
  readonly logger: Log;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

const ignoreError = (): void => undefined;

/**
 * Configuration changes from every instance and every CLI run, through PostgreSQL's
 * LISTEN/NOTIFY on a connection of its own: each change NOTIFYs the channel inside its
 * transaction, so listeners hear of it when it commits.
 *
 * While the channel is down (not yet connected, connection lost, heartbeat unanswered), nothing
 * would tell this instance about a revocation, so `poll()` answers `true` on every call and the
 * caches are bypassed until the channel is back. It reconnects with bounded exponential backoff
 * and counts the reconnection itself as a change, since changes may have been missed meanwhile.
 */
export class PostgresChangeFeed implements ChangeFeed {
  readonly #options: PostgresChangeFeedOptions;
  #client: Client | null = null;
  #listening = false;
  #changed = true;
  #closed = false;
  #lossReported = false;
  #attempt = 0;
  #reconnect: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeatInFlight = false;

  constructor(options: PostgresChangeFeedOptions) {
    this.#options = options;
  }

  /** Connects and listens once; resolves either way (on failure, retries in the background). */
  async start(): Promise<void> {
    this.#heartbeat = setInterval(() => void this.#checkHeartbeat(), this.#options.heartbeatMs);
    this.#heartbeat.unref();
    await this.#connect();
  }

  get listening(): boolean {
    return this.#listening;
  }

  poll(): boolean {
    if (!this.#listening) return true;
    if (!this.#changed) return false;
    this.#changed = false;
    return true;
  }

  /** A change committed by this process: seen at once, before its own notification comes back. */
  markLocalChange(): void {
    this.#changed = true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#reconnect);
    const client = this.#client;
    this.#client = null;
    if (client !== null) await this.#end(client);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = this.#options.newClient();
    this.#client = client;
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('connection closed')));
    client.on('notification', (message: Notification) => {
      if (message.channel === this.#options.channel) this.#changed = true;
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#options.channel}"`);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    if (this.#client !== client) return;
    this.#listening = true;
    this.#changed = true;
    this.#attempt = 0;
    if (this.#lossReported) {
      this.#lossReported = false;
      this.#options.logger.info(
        'configuration change notifications are back: key and resource caches are in use again',
      );
    }
  }

  #lost(client: Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.#listening = false;
    void this.#end(client);
    if (this.#closed) return;
    if (!this.#lossReported) {
      this.#lossReported = true;
      this.#options.logger.warn(
        { reason: describePgError(error) },
        'configuration change notifications lost: key and resource caches are bypassed until they are back',
      );
    }
    const { initialMs, maxMs } = this.#options.backoff ?? { initialMs: 100, maxMs: 5_000 };
    const delay = Math.min(maxMs, initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#reconnect = setTimeout(() => void this.#connect(), delay);
    this.#reconnect.unref();
  }

  async #checkHeartbeat(): Promise<void> {
    const client = this.#client;
    if (!this.#listening || client === null || this.#heartbeatInFlight) return;
    this.#heartbeatInFlight = true;
    try {
      await client.query('SELECT 1');
    } catch (error) {
      this.#lost(client, error);
    } finally {
      this.#heartbeatInFlight = false;
    }
  }

  /** Ends a connection without waiting on a network that may not answer. */
  async #end(client: Client): Promise<void> {
    client.on('error', ignoreError);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.end().catch(ignoreError),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#options.heartbeatMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}
