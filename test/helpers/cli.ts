import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/io.js';
import { runCli as runCommand } from '../../src/cli/run.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment for a child process: the caller's, minus anything that would change its config. */
export const childEnv = (extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv => {
  const ours = (name: string) =>
    name.startsWith('HEO_') ||
    ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'LOG_LEVEL'].includes(name);
  const inherited = Object.entries(process.env).filter(([name]) => !ours(name));
  return { ...Object.fromEntries(inherited), ...extra };
};

/**
 * The fast tier (`npm run test:unit`) runs in-process only: a suite that starts heo-power as a
 * process is named `*.process.test.ts`, which that tier leaves out.
 */
export const assertProcessesAllowed = (): void => {
  if (process.env.HEO_TEST_TIER === 'unit') {
    throw new Error('the unit tier runs in-process: name a suite that spawns *.process.test.ts');
  }
};

/** Runs the built CLI as an operator would, in its own process; `input` goes to its stdin. */
export const runCli = (
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 20_000,
  input = '',
): Promise<CliResult> => {
  assertProcessesAllowed();
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
};

/** Runs a command with `--json` and parses its one JSON document. */
export const runCliJson = async <T = unknown>(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<T> => {
  const result = await runCli([...args, '--json'], env);
  if (result.code !== 0)
    throw new Error(`heo-power ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
};

/** A stream that keeps what is written to it, as text. */
class TextBuffer extends Writable {
  #text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.#text += chunk.toString();
    done();
  }
  get text(): string {
    return this.#text;
  }
}

export interface InProcessResult extends CliResult {
  /** The questions asked at the terminal, in order. */
  readonly asked: readonly string[];
}

/**
 * Runs a command in this process, through the same entry the executable uses (`runCli`), with
 * only `env` as its environment: for tables of refusals, where a process per case buys nothing.
 * With `answers`, it runs as at a terminal where the operator gives these answers in turn;
 * without, as in a script (no terminal).
 */
export const runCliInProcess = async (
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  input = '',
  answers?: readonly string[],
): Promise<InProcessResult> => {
  const stdout = new TextBuffer();
  const stderr = new TextBuffer();
  const asked: string[] = [];
  const pending = [...(answers ?? [])];
  const terminal =
    answers === undefined
      ? null
      : {
          ask: (question: string) => {
            asked.push(question);
            return Promise.resolve(pending.shift() ?? '');
          },
        };
  const io: CliIo = { env, stdout, stderr, readInput: () => input, terminal, exitCode: 0 };
  const code = await runCommand(args, io);
  return { code, stdout: stdout.text, stderr: stderr.text, asked };
};
