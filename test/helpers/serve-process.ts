import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { assertProcessesAllowed, CLI, childEnv, ROOT } from './cli.js';

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything the process logged so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `heo-power <command>` (serve or demo) in its own process on a free port and resolves once
 * it logs its URL. Fails after `timeoutMs` instead of waiting forever.
 */
export const startServeProcess = (
  env: Readonly<Record<string, string>>,
  command: 'serve' | 'demo' = 'serve',
  timeoutMs = 20_000,
): Promise<ServeProcess> =>
  new Promise((resolve, reject) => {
    assertProcessesAllowed();
    const child = spawn(process.execPath, [CLI, command], {
      cwd: ROOT,
      // Actions are followed only where a test asks: others count what their fakes received.
      env: childEnv({ PORT: '0', LOG_LEVEL: 'info', HEO_FOLLOW_ACTIONS: 'false', ...env }),
    });
    let output = '';
    let settled = false;
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`heo-power ${command} did not start in time:\n${output}`));
    }, timeoutMs);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match =
        /"url":"(http:\/\/[^"]+)"/.exec(output) ?? /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({
          url: match[1],
          child,
          output: () => output,
          stop: async (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) =>
      fail(new Error(`heo-power ${command} exited with ${code}:\n${output}`)),
    );
  });
