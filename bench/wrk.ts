import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { BenchRequest } from './fixtures.js';
import { cpuSeconds } from './proc.js';

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU the load generator used, as a share of one core. */
  readonly generatorCpu: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly requests: readonly BenchRequest[];
  readonly seconds: number;
  readonly connections: number;
  /** Core to pin the generator to, when taskset exists. */
  readonly core: number | null;
  readonly scriptPath: string;
}

const lua = (requests: readonly BenchRequest[]): string => `
local list = {
${requests.map((r) => `  {"${r.path}", "${r.key}"},`).join('\n')}
}
local formatted = {}
local i = 0
local sent = 0
local prefix = "bench-" .. os.time() .. "-" .. math.random(1000000) .. "-"
local idempotent = ${requests.some((r) => r.idempotent === true) ? 'true' : 'false'}
init = function(args)
  for n, r in ipairs(list) do
    formatted[n] = wrk.format("POST", r[1], { ["Authorization"] = "Bearer " .. r[2] }, nil)
  end
end
request = function()
  i = i + 1
  if i > #formatted then i = 1 end
  if idempotent then
    -- A key of its own for every request: never a replay.
    sent = sent + 1
    local r = list[i]
    return wrk.format("POST", r[1], { ["Authorization"] = "Bearer " .. r[2], ["Idempotency-Key"] = '"' .. prefix .. sent .. '"' }, nil)
  end
  return formatted[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"micros":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** Drives the server with wrk on its own core, rotating over the request mix. */
export const runWrk = (options: LoadOptions): Promise<LoadResult> => {
  writeFileSync(options.scriptPath, lua(options.requests));
  const wrkArgs = [
    '-t1',
    `-c${options.connections}`,
    // wrk takes whole seconds only.
    `-d${Math.max(1, Math.round(options.seconds))}s`,
    '--latency',
    '-s',
    options.scriptPath,
    options.url,
  ];
  const [command, args] =
    options.core === null
      ? ['wrk', wrkArgs]
      : ['taskset', ['-c', String(options.core), 'wrk', ...wrkArgs]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    let cpuAtStart = 0;
    let cpuLast = 0;
    const started = process.hrtime.bigint();
    const sampler = setInterval(() => {
      try {
        cpuLast = cpuSeconds(child.pid ?? 0);
      } catch {
        clearInterval(sampler);
      }
    }, 250);
    try {
      cpuAtStart = cpuSeconds(child.pid ?? 0);
    } catch {
      cpuAtStart = 0;
    }
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      const line = /WRKJSON (\{.*\})/.exec(output)?.[1];
      if (code !== 0 || line === undefined) {
        reject(new Error(`wrk failed (${code}): ${output}`));
        return;
      }
      const parsed = JSON.parse(line) as Record<string, number>;
      const n = (name: string) => parsed[name] ?? 0;
      resolve({
        requests: n('requests'),
        seconds: n('micros') / 1e6,
        non2xx: n('status'),
        socketErrors: n('connect') + n('read') + n('write') + n('timeout'),
        p50Ms: n('p50') / 1000,
        p99Ms: n('p99') / 1000,
        generatorCpu: (cpuLast - cpuAtStart) / elapsed,
      });
    });
  });
};
