import { readFileSync } from 'node:fs';
import type { Env } from '../config.js';

/** Where text goes: standard output or standard error, or a test's buffer. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * What a command may touch of the world outside its arguments: the environment it is configured
 * by, its two output streams, its standard input, and the exit status it reports. The process
 * gives the real ones (`processIo`); tests give their own and run the program in-process.
 */
export interface CliIo {
  readonly env: Env;
  readonly stdout: TextSink & NodeJS.WritableStream;
  readonly stderr: TextSink & NodeJS.WritableStream;
  /** All of standard input, as text. */
  readInput(): string;
  /** Set by a command whose work ran but whose result is a failure (`providers test`). */
  exitCode: number;
}

export const processIo = (): CliIo => ({
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  readInput: () => readFileSync(0, 'utf8'),
  exitCode: 0,
});
