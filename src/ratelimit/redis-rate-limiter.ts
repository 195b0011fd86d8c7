import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { type Clock, systemClock } from '../lib/clock.js';
import type { Log } from '../logger.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './rate-limiter.js';

/**
 * One atomic step per request: count it, open the window at the key's first request (as the
 * in-memory limiter does), and return the count with the time left in the window. A key without
 * an expiry (it cannot happen through this script, but a key written by hand could) gets one.
 */
const CONSUME_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;
const CONSUME_SHA = createHash('sha1').update(CONSUME_SCRIPT).digest('hex');

export interface RedisRateLimiterOptions {
  readonly url: string;
  /** Prepended to every key, so deployments (and test runs) sharing a Redis stay apart. */
  readonly prefix: string;
  readonly policy: RateLimitPolicy;
  /** Bound of connecting and of each command: past it, the request is counted locally. */
  readonly timeoutMs: number;
  readonly logger: Log;
  /** How often Redis is tried again while counting locally. */
  readonly probeIntervalMs?: number;
  /** Keeps each request's deadline (the time-out from its check). */
  readonly clock?: Clock;
}

/** Message only: ioredis attaches the failed command to errors, and AUTH's carries the password. */
const reasonOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

const isCountAndTtl = (reply: unknown): reply is [number, number] =>
  Array.isArray(reply) &&
  reply.length === 2 &&
  typeof reply[0] === 'number' &&
  typeof reply[1] === 'number';

/**
 * The per-key limit shared by every instance through Redis: one script call per request.
 *
 * Redis is a dependency the API can live without for a while. Commands fail fast (no offline
 * queue, a short command time-out), and every check has its own deadline, the time-out from the
 * moment it was asked for: with auto-pipelining, the checks of a later turn wait in the client
 * until the batch before them is answered, and the client's command time-out only starts once
 * they are sent, which made a silent Redis cost them twice the time-out. When a check fails or
 * its deadline passes, this instance counts on its own in-memory
 * "insurance" limiter (the same limit, so a key may get up to that limit per instance while
 * Redis is away), logs that once, and tries Redis in the background until it answers, then logs
 * that once and shares the counts again.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #options: RedisRateLimiterOptions;
  readonly #insurance: MemoryRateLimiter;
  readonly #probe: NodeJS.Timeout;
  readonly #clock: Clock;
  #shared = true;
  #probing = false;

  private constructor(options: RedisRateLimiterOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#insurance = new MemoryRateLimiter(options.policy);
    this.#redis = new Redis(options.url, {
      enableOfflineQueue: false,
      // The checks of one turn of the event loop leave in one write, not one syscall each.
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
      lazyConnect: true,
    });
    // Connection errors also surface as failed commands; reported there, once per outage.
    this.#redis.on('error', (error: unknown) => {
      options.logger.debug({ reason: reasonOf(error) }, 'redis connection error');
    });
    this.#probe = setInterval(() => void this.#tryRedis(), options.probeIntervalMs ?? 1_000);
    this.#probe.unref();
  }

  /**
   * Connects, waiting at most the time-out: an unreachable or silent Redis only means counting
   * locally until the background probe finds it.
   */
  static async connect(options: RedisRateLimiterOptions): Promise<RedisRateLimiter> {
    const limiter = new RedisRateLimiter(options);
    const connecting = limiter.#redis.connect();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
    });
    try {
      await Promise.race([connecting, late]);
    } catch (error) {
      // ioredis goes on connecting in the background; the probe notices when it is ready.
      connecting.catch(() => undefined);
      limiter.#fallBack(error);
    } finally {
      clearTimeout(timer);
    }
    return limiter;
  }

  /** Whether decisions currently come from Redis (shared by all instances). */
  get shared(): boolean {
    return this.#shared;
  }

  async consume(subject: string): Promise<RateLimitDecision> {
    if (!this.#shared) return this.#insurance.consume(subject);
    const { limit, windowMs } = this.#options.policy;
    let reply: unknown;
    try {
      reply = await this.#withinDeadline(
        this.#evaluate(`${this.#options.prefix}ratelimit:${subject}`, windowMs),
      );
    } catch (error) {
      this.#fallBack(error);
      return this.#insurance.consume(subject);
    }
    if (!isCountAndTtl(reply)) {
      this.#fallBack(new Error('unexpected reply from the rate limit script'));
      return this.#insurance.consume(subject);
    }
    const [count, ttlMs] = reply;
    return {
      allowed: count <= limit,
      limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#probe);
    this.#redis.disconnect();
    await this.#insurance.close();
  }

  /** `work`, or a rejection once the time-out has passed since the check was asked for. */
  #withinDeadline<T>(work: Promise<T>): Promise<T> {
    const { timeoutMs } = this.#options;
    return new Promise<T>((resolve, reject) => {
      const cancel = this.#clock.after(timeoutMs, () => {
        reject(new Error(`no answer from Redis within ${timeoutMs} ms`));
      });
      work.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  async #evaluate(key: string, windowMs: number): Promise<unknown> {
    try {
      return await this.#redis.evalsha(CONSUME_SHA, 1, key, windowMs);
    } catch (error) {
      // First use on this Redis (or after a restart or SCRIPT FLUSH): send the script itself.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#redis.eval(CONSUME_SCRIPT, 1, key, windowMs);
    }
  }

  #fallBack(error: unknown): void {
    if (!this.#shared) return;
    this.#shared = false;
    this.#options.logger.warn(
      { reason: reasonOf(error) },
      'Redis unreachable: rate limits are counted per instance until it is back',
    );
  }

  async #tryRedis(): Promise<void> {
    if (this.#shared || this.#probing) return;
    this.#probing = true;
    try {
      if (this.#redis.status !== 'ready') return;
      await this.#redis.ping();
      this.#shared = true;
      this.#options.logger.info('Redis reachable again: rate limits are shared again');
    } catch {
      // Still away; ioredis keeps reconnecting and the next probe tries again.
    } finally {
      this.#probing = false;
    }
  }
}
