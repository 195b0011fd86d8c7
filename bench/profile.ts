import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * Reads a V8 .cpuprofile (from `npm run bench -- --profile`) and prints where the time went:
 * self time by function and by module, with `--inclusive` the time spent in each function and
 * everything it called, or with `--callers <function>` the call chains into it.
 *
 *   node dist-bench/bench/profile.js bench/results/200-1.cpuprofile [--top 40] [--callers digest]
 */
interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    inclusive: { type: 'boolean', default: false },
    skip: { type: 'string', default: '0' },
    requests: { type: 'string' },
    top: { type: 'string', default: '40' },
    callers: { type: 'string' },
    depth: { type: 'string', default: '4' },
  },
});
const file = positionals[0];
if (file === undefined)
  throw new Error('usage: profile.js <file.cpuprofile> [--top n] [--callers fn]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Samples before --skip seconds (start-up, warm-up) are left out.
const skipMicros = Number(values.skip) * 1e6;
const self = new Map<number, number>();
let elapsed = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  elapsed += delta;
  if (elapsed >= skipMicros) self.set(id, (self.get(id) ?? 0) + delta);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
// With --requests n (served in the window kept), times are shown in µs per request instead.
const perRequest = values.requests === undefined ? null : Number(values.requests);
const pct = (t: number) =>
  perRequest === null
    ? `${((t / total) * 100).toFixed(1).padStart(5)}%`
    : `${(t / perRequest).toFixed(2).padStart(6)} µs`;
const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;
const moduleOf = (n: ProfileNode) => {
  const url = n.callFrame.url;
  if (url.includes('node_modules/')) return url.split('node_modules/')[1]?.split('/')[0] ?? url;
  if (url.includes('/dist/')) return `heo-power ${url.split('/dist/')[1] ?? ''}`;
  return url || n.callFrame.functionName;
};
const top = Number(values.top);

const inclusive = new Map<number, number>();
const inclusiveOf = (id: number): number => {
  const known = inclusive.get(id);
  if (known !== undefined) return known;
  const node = byId.get(id);
  let t = self.get(id) ?? 0;
  for (const child of node?.children ?? []) t += inclusiveOf(child);
  inclusive.set(id, t);
  return t;
};

if (values.inclusive) {
  // Inclusive time per function (recursion counted once per stack).
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  for (const [id, t] of self) {
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const node = byId.get(n);
      if (node === undefined) break;
      const name = label(node);
      if (!seen.has(name)) {
        seen.add(name);
        totals.set(name, (totals.get(name) ?? 0) + t);
      }
    }
  }
  for (const [name, t] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(pct(t), name);
  }
} else if (values.callers !== undefined) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const chains = new Map<string, number>();
  for (const n of profile.nodes) {
    if ((n.callFrame.functionName || '(anonymous)') !== values.callers) continue;
    const chain: string[] = [];
    let p = parent.get(n.id);
    for (let d = 0; d < Number(values.depth) && p !== undefined; d++) {
      const node = byId.get(p);
      if (node === undefined) break;
      chain.push(label(node));
      p = parent.get(p);
    }
    const key = chain.join(' <- ');
    chains.set(key, (chains.get(key) ?? 0) + inclusiveOf(n.id));
  }
  for (const [chain, t] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(pct(t), chain);
} else {
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  for (const [id, t] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    byFunction.set(label(node), (byFunction.get(label(node)) ?? 0) + t);
    byModule.set(moduleOf(node), (byModule.get(moduleOf(node)) ?? 0) + t);
  }
  console.log('self time by function');
  for (const [name, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(pct(t), name);
  console.log('\nself time by module');
  for (const [name, t] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(pct(t), name);
}
