import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningProcess {
  readonly url: string;
  readonly pid: number;
  output(): string;
  stop(signal: NodeJS.Signals): Promise<void>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

/**
 * Starts a server process (pinned to `core` when taskset exists) and resolves once it answers
 * `GET /healthz`, giving up after `timeoutMs`.
 */
export const startProcess = async (
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  core: number | null,
  timeoutMs = 15_000,
): Promise<RunningProcess> => {
  const port = await freePort();
  const [command, args] =
    core === null
      ? [process.execPath, argv]
      : ['taskset', ['-c', String(core), process.execPath, ...argv]];
  const child: ChildProcess = spawn(command, args as string[], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy in ${timeoutMs} ms:\n${output}`);
    }
    await sleep(50);
  }
  return {
    url,
    pid: child.pid ?? 0,
    output: () => output,
    stop: async (signal) => {
      if (child.exitCode === null) child.kill(signal);
      await exited;
    },
  };
};
