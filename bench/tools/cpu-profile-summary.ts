/**
 * Where a server's CPU time went: reads a V8 `.cpuprofile` (written by `BENCH_CPU_PROF=<dir>
 * npm run bench`) and prints self time by area (our modules, each npm package, Node internals,
 * GC, idle), inclusive time of our own modules (what runs under them, SQLite included) and the
 * hottest functions.
 *
 * @example
 *   node --import meridian/loader bench/tools/cpu-profile-summary.ts /tmp/prof/CPU.20260101.123.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/fastify/lib/x.js` → `fastify`; `packages/server/src/ingest/service.ts` → `ingest/service.ts`. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  const own = /packages\/[^/]+\/src\/(.+)$/.exec(url);
  if (own) return own[1];
  if (url.startsWith('node:')) return url.split('/')[0];
  return url.replace(/^file:\/\//, '');
}

function top(map: Map<string, number>, total: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => `${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`);
}

function isOwnModule(area: string): boolean {
  return /^[a-z-]+\/[^/]+\.ts$/.test(area);
}

/** Our modules on the stack of each node (each counted once), for inclusive time. */
function ownModulesOnStack(profile: CpuProfile): Map<number, string[]> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const stacks = new Map<number, string[]>();
  const stackOf = (id: number): string[] => {
    const known = stacks.get(id);
    if (known) return known;
    const node = nodes.get(id);
    const up = parent.get(id);
    const above = up === undefined ? [] : stackOf(up);
    const area = node ? areaOf(node.callFrame) : '';
    const stack = isOwnModule(area) && !above.includes(area) ? [...above, area] : above;
    stacks.set(id, stack);
    return stack;
  };
  for (const node of profile.nodes) stackOf(node.id);
  return stacks;
}

export function summarizeProfile(profile: CpuProfile, count = 25): string {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const stacks = ownModulesOnStack(profile);
  const inclusive = new Map<string, number>();
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]);
    const micros = profile.timeDeltas[i] ?? 0;
    if (!node) continue;
    total += micros;
    const area = areaOf(node.callFrame);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
    for (const own of stacks.get(node.id) ?? []) inclusive.set(own, (inclusive.get(own) ?? 0) + micros);
    const name = `${node.callFrame.functionName || '(anonymous)'}  ${area}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  const idle = byArea.get('(idle)') ?? 0;
  return [
    `${(total / 1e6).toFixed(1)} s sampled, ${(((total - idle) / total) * 100).toFixed(0)}% busy`,
    '',
    'self time by area:',
    ...top(byArea, total, count),
    '',
    'inclusive time of our modules (everything that ran under them):',
    ...top(inclusive, total, count),
    '',
    'hottest functions (self time):',
    ...top(byFunction, total, count),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: node --import meridian/loader bench/tools/cpu-profile-summary.ts <file.cpuprofile>\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile)}\n`);
}
