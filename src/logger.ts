import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';
import { REDACTED_KEY, withoutKeys } from './domain/untrusted-text.js';

export type { Logger } from 'pino';

/** The part of a logger that request-scoped code needs; both pino and Fastify's request log fit. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

const KEY_LIKE = /heo_[0-9A-Za-z]+/g;
const ADMIN_TOKEN_LIKE = /heoadm_[0-9A-Za-z]{8,}/g;

/**
 * Anything that looks like an API key is cut out of free text before it reaches a log line,
 * percent-encoded ones too (`heo%5F…`).
 */
export const scrubSecrets = (text: string): string =>
  withoutKeys(text).replace(KEY_LIKE, REDACTED_KEY).replace(ADMIN_TOKEN_LIKE, 'heoadm_[redacted]');

/** Paths that may hold a credential in any object that reaches the logger. */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'token',
  'secret',
  'apiKey',
  '*.token',
  '*.secret',
  '*.apiKey',
] as const;

/** What a request's log line says about it (see the `req` serializer). */
export interface RequestLike {
  readonly method?: string;
  readonly url?: string;
  readonly ip?: string;
}

interface ReplyLike {
  readonly statusCode?: number;
}

/**
 * Requests are logged without headers, and with anything key-like cut out of the URL; replies as
 * their status only. Every logger has these, so no object holding headers is ever written whole.
 */
const serializers = {
  req: (req: RequestLike) => ({
    method: req.method,
    url: req.url === undefined ? undefined : scrubSecrets(req.url),
    remoteAddress: req.ip,
  }),
  res: (reply: ReplyLike) => ({ statusCode: reply.statusCode }),
  err: pino.stdSerializers.err,
};

export const createLogger = (level: LogLevel, destination?: DestinationStream): Logger =>
  pino(
    {
      level,
      serializers,
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
