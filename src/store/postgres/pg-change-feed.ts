import { randomBytes } from 'node:crypto';
import type { Client, Notification } from 'pg';
import { type Clock, systemClock } from '../../lib/clock.js';
import type { Log } from '../../logger.js';
import type { ChangeFeed } from '../store.js';
import { describePgError } from './pg-errors.js';

export interface PostgresChangeFeedOptions {
  /** A new, unconnected client with the store's settings (connect timeout, query timeout). */
  readonly newClient: () => Client;
  /** The notification channel configuration changes are announced on. */
  readonly channel: string;
  /**
   * How long the caches are trusted after the connection last proved that it delivers
   * notifications: a heartbeat it sent itself came back. Heartbeats leave every quarter of this.
   */
  readonly trustMs: number;
  /** A heartbeat unanswered this long means the connection is lost: it is replaced. */
  readonly timeoutMs: number;
  readonly logger: Log;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly clock?: Clock;
}

/** A heartbeat on its way: its payload, and when it was sent. */
interface Heartbeat {
  readonly token: string;
  readonly sentAt: number;
}

const ignoreError = (): void => undefined;

/**
 * Configuration changes from every instance and every CLI run, through PostgreSQL's
 * LISTEN/NOTIFY on a connection of its own: each change NOTIFYs the channel inside its
 * transaction, so listeners hear of it when it commits.
 *
 * The connection is trusted only while it has recently proved that it delivers: every quarter of
 * `trustMs` it NOTIFYs a channel of its own and waits to hear it back. PostgreSQL delivers
 * notifications in the order their transactions committed, so a heartbeat heard back means every
 * change committed before it was sent has been heard too. While the last heartbeat heard back
 * was sent more than `trustMs` ago (a network that silently dropped the connection), and while
 * the channel is down (not yet connected, connection lost), nothing would tell this instance
 * about a revocation, so `poll()` answers `true` on every call and the caches are bypassed: a
 * change committed anywhere reaches this instance's requests within `trustMs`, whatever fails.
 * It reconnects with bounded exponential backoff and counts the reconnection itself as a change,
 * since changes may have been missed meanwhile.
 */
export class PostgresChangeFeed implements ChangeFeed {
  readonly #options: PostgresChangeFeedOptions;
  readonly #clock: Clock;
  /** The channel of this instance's heartbeats, which no other instance listens to. */
  readonly #heartbeatChannel: string;
  #client: Client | null = null;
  #listening = false;
  #changed = true;
  #closed = false;
  #lossReported = false;
  #attempt = 0;
  #reconnect: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** The heartbeat sent and not heard back yet. */
  #pending: Heartbeat | null = null;
  #beats = 0;
  /** When the last heartbeat heard back was sent (or the channel was opened); `null`: never. */
  #confirmedAt: number | null = null;
  #syncs = 0;
  /** Waiters of `caughtUp`, by the payload of the notification each waits for. */
  readonly #syncWaiters = new Map<string, () => void>();

  constructor(options: PostgresChangeFeedOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#heartbeatChannel = `${options.channel}_hb_${randomBytes(6).toString('hex')}`;
  }

  /** Connects and listens once; resolves either way (on failure, retries in the background). */
  async start(): Promise<void> {
    const every = Math.max(10, Math.floor(this.#options.trustMs / 4));
    this.#heartbeat = setInterval(() => this.#beat(), every);
    this.#heartbeat.unref();
    await this.#connect();
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** Whether a heartbeat sent within `trustMs` has come back. */
  get confirmed(): boolean {
    return (
      this.#confirmedAt !== null && this.#clock.now() - this.#confirmedAt <= this.#options.trustMs
    );
  }

  poll(): boolean {
    if (!this.#listening) return true;
    if (!this.confirmed) {
      if (!this.#lossReported) this.#reportLapse();
      return true;
    }
    if (!this.#changed) return false;
    this.#changed = false;
    return true;
  }

  /** A change committed by this process: seen at once, before its own notification comes back. */
  markLocalChange(): void {
    this.#changed = true;
  }

  /**
   * Resolves `true` once every change committed anywhere before the call has been heard: a
   * notification of its own, sent over the listening connection, has come back (PostgreSQL
   * delivers them in commit order). `false` when not listening, or not heard within `timeoutMs`.
   */
  async caughtUp(timeoutMs = this.#options.timeoutMs): Promise<boolean> {
    const client = this.#client;
    if (!this.#listening || client === null) return false;
    this.#syncs += 1;
    const token = `sync-${this.#syncs}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<boolean>((resolve) => {
        this.#syncWaiters.set(token, () => resolve(true));
        timer = setTimeout(() => resolve(false), timeoutMs);
        client
          .query('SELECT pg_notify($1, $2)', [this.#heartbeatChannel, token])
          .catch(() => resolve(false));
      });
    } finally {
      clearTimeout(timer);
      this.#syncWaiters.delete(token);
    }
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
      else if (message.channel === this.#heartbeatChannel) {
        const waiter = this.#syncWaiters.get(message.payload ?? '');
        if (waiter !== undefined) waiter();
        else this.#heard(message.payload);
      }
    });
    let openedAt: number;
    try {
      await client.connect();
      openedAt = this.#clock.now();
      await client.query(`LISTEN "${this.#options.channel}"; LISTEN "${this.#heartbeatChannel}"`);
    } catch (error) {
      this.#lost(client, error);
      return;
    }
    if (this.#client !== client) return;
    this.#listening = true;
    this.#changed = true;
    this.#attempt = 0;
    this.#pending = null;
    // Changes committed after LISTEN are heard; those before count as the change set just above.
    this.#confirm(openedAt);
  }

  /** A heartbeat came back: everything committed before it was sent has been heard. */
  #heard(token: string | undefined): void {
    const pending = this.#pending;
    if (pending === null || pending.token !== token) return;
    this.#pending = null;
    this.#confirm(pending.sentAt);
  }

  #confirm(at: number): void {
    this.#confirmedAt = at;
    if (this.#lossReported && this.confirmed) {
      this.#lossReported = false;
      this.#options.logger.info(
        'configuration change notifications are back: key and resource caches are in use again',
      );
    }
  }

  #reportLapse(): void {
    this.#reportLoss(new Error(`no heartbeat heard back within ${this.#options.trustMs} ms`));
  }

  #reportLoss(reason: unknown): void {
    if (this.#lossReported || this.#closed) return;
    this.#lossReported = true;
    this.#options.logger.warn(
      { reason: describePgError(reason) },
      'configuration change notifications lost: key and resource caches are bypassed until they are back',
    );
  }

  #lost(client: Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.#listening = false;
    this.#pending = null;
    void this.#end(client);
    if (this.#closed) return;
    this.#reportLoss(error);
    const { initialMs, maxMs } = this.#options.backoff ?? { initialMs: 100, maxMs: 5_000 };
    const delay = Math.min(maxMs, initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#reconnect = setTimeout(() => void this.#connect(), delay);
    this.#reconnect.unref();
  }

  /**
   * Sends a heartbeat unless one is on its way; one unanswered for the store time-out means the
   * connection is lost (a silent network), and it is replaced.
   */
  #beat(): void {
    const client = this.#client;
    if (!this.#listening || client === null) return;
    const now = this.#clock.now();
    if (!this.#lossReported && !this.confirmed) this.#reportLapse();
    if (this.#pending !== null) {
      if (now - this.#pending.sentAt >= this.#options.timeoutMs) {
        this.#lost(client, new Error(`heartbeat unanswered for ${this.#options.timeoutMs} ms`));
      }
      return;
    }
    this.#beats += 1;
    this.#pending = { token: String(this.#beats), sentAt: now };
    client
      .query('SELECT pg_notify($1, $2)', [this.#heartbeatChannel, this.#pending.token])
      .catch((error: unknown) => this.#lost(client, error));
  }

  /** Ends a connection without waiting on a network that may not answer. */
  async #end(client: Client): Promise<void> {
    client.on('error', ignoreError);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.end().catch(ignoreError),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#options.timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}
