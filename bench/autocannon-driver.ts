import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './wrk.js';

/**
 * The fallback generator when wrk is not installed. It runs in this process, so its CPU is this
 * process's CPU; above about 80% of a core it measures itself more than the server.
 */
/** Idempotency keys never repeat within a process, whichever run or slice sends them. */
const KEY_PREFIX = `bench-${process.pid}-${Date.now().toString(36)}-`;
let sent = 0;

export const runAutocannon = async (options: LoadOptions): Promise<LoadResult> => {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let next = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: 'POST',
    requests: [
      {
        setupRequest: (request) => {
          const item = options.requests[next % options.requests.length];
          next++;
          return {
            ...request,
            path: item?.path ?? '/',
            headers: {
              ...request.headers,
              authorization: `Bearer ${item?.key ?? ''}`,
              ...(item?.idempotent === true
                ? { 'idempotency-key': `"${KEY_PREFIX}${(sent++).toString(36)}"` }
                : {}),
            },
          };
        },
      },
    ],
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    requests: result.requests.total,
    seconds: result.duration,
    non2xx: result.non2xx,
    socketErrors: result.errors + result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / elapsed,
  };
};
