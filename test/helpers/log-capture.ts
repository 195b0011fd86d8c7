import { Writable } from 'node:stream';
import type { LogLevel } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';

export interface CapturedLogs {
  readonly logger: Logger;
  /** Everything logged so far, as raw text. */
  text(): string;
  lines(): Record<string, unknown>[];
}

/** A real pino logger (with the service's redaction) that writes into memory. */
export const captureLogs = (level: LogLevel = 'trace'): CapturedLogs => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger(level, stream);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
};
