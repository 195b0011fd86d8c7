import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc. */
export const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS;
};

/** Resident set size in MB, from /proc. */
export const rssMb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]) / 1024;
};

export interface Sampler {
  /** RSS samples in MB, one per interval. */
  readonly rss: number[];
  stop(): void;
}

/** Samples a process's RSS every `intervalMs` until stopped (or the process is gone). */
export const sampleRss = (pid: number, intervalMs = 1_000): Sampler => {
  const rss: number[] = [];
  const take = () => {
    try {
      rss.push(rssMb(pid));
    } catch {
      clearInterval(timer);
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return { rss, stop: () => clearInterval(timer) };
};

export const hasCommand = (command: string, args: readonly string[] = ['--version']): boolean => {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is "absent".
    return (error as { code?: string }).code !== 'ENOENT';
  }
};
