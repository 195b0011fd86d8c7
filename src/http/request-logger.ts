import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';
import type { Logger } from '../logger.js';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger that becomes a real pino child (with the request id binding) only when
 * something is logged at an enabled level. Most requests log nothing below `info`, and building a
 * child with its redacted bindings for each of them costs as much as a small handler.
 */
class DeferredRequestLogger implements FastifyBaseLogger {
  readonly #root: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: FastifyBaseLogger | undefined;

  constructor(root: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#root = root;
    this.#bindings = bindings;
    this.#options = options;
  }

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.#root.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.#resolve().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {
    // Nothing is ever written at the silent level.
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#resolve().child(bindings, options);
  }

  #resolve(): FastifyBaseLogger {
    this.#child ??= this.#root.child(this.#bindings, this.#options);
    return this.#child;
  }

  #write(level: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.#root.isLevelEnabled(level)) return;
    const child = this.#resolve();
    Reflect.apply(child[level], child, args);
  }
}

/** Fastify's `childLoggerFactory`, deferring each request's child logger until it is used. */
export const deferredChildLoggers =
  (root: Logger) =>
  (
    _logger: FastifyBaseLogger,
    bindings: Bindings,
    options: ChildLoggerOptions,
  ): FastifyBaseLogger =>
    options.level === undefined
      ? new DeferredRequestLogger(root, bindings, options)
      : root.child(bindings, options);
