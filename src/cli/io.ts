import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Env } from '../config.js';

/** Where text goes: standard output or standard error, or a test's buffer. */
export interface TextSink {
  write(text: string): unknown;
}

/** An operator at a terminal, who can be asked a question. */
export interface Terminal {
  /** Shows `question` (on standard error, so that standard output stays the result) and resolves with the answer. */
  ask(question: string): Promise<string>;
}

/**
 * What a command may touch of the world outside its arguments: the environment it is configured
 * by, its two output streams, its standard input, whether an operator sits at a terminal, and
 * the exit status it reports. The process gives the real ones (`processIo`); tests give their
 * own and run the program in-process.
 */
export interface CliIo {
  readonly env: Env;
  readonly stdout: TextSink & NodeJS.WritableStream;
  readonly stderr: TextSink & NodeJS.WritableStream;
  /** All of standard input, as text. */
  readInput(): string;
  /**
   * The operator's terminal when standard input and standard error both are one; `null` in
   * scripts, pipes and CI, where nothing is ever asked.
   */
  readonly terminal: Terminal | null;
  /** Set by a command whose work ran but whose result is a failure (`providers test`). */
  exitCode: number;
}

const processTerminal: Terminal = {
  ask: async (question) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await prompt.question(question);
    } finally {
      prompt.close();
    }
  },
};

export const processIo = (): CliIo => ({
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  readInput: () => readFileSync(0, 'utf8'),
  terminal: process.stdin.isTTY && process.stderr.isTTY ? processTerminal : null,
  exitCode: 0,
});
