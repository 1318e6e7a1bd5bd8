/**
 * Summarise a V8 .cpuprofile: the functions with the most self time and the most
 * inclusive time (each function counted once per sample however often it recurs),
 * and self time by package / source file.
 *
 *   npx tsx bench/lib/cpuprofile-top.ts FILE.cpuprofile [rows=30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: cpuprofile-top.ts FILE.cpuprofile [rows]');
const rows = Number(process.argv[3] ?? 30) || 30;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const short = (url: string) => url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, 'nm/');
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const pkg = (n: Node) => {
  const u = n.callFrame.url;
  if (u === '') return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return m[1]!;
  if (u.startsWith('node:')) return u;
  return short(u);
};

const self = new Map<string, number>();
const incl = new Map<string, number>();
const byPkg = new Map<string, number>();
let total = 0;
let idle = 0;
// sample i lasts timeDeltas[i + 1] (the delta before the next sample); the last one, the mean
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i + 1] ?? (profile.endTime - profile.startTime) / profile.samples.length;
  const leaf = byId.get(profile.samples[i]!)!;
  total += dt;
  if (leaf.callFrame.functionName === '(idle)') {
    idle += dt;
    continue;
  }
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  byPkg.set(pkg(leaf), (byPkg.get(pkg(leaf)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id)!);
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + dt);
  }
}
const busy = total - idle;
const ms = (us: number) => (us / 1000).toFixed(0).padStart(6);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
process.stdout.write(`${file}\nwall ${ms(total)} ms, busy ${ms(busy)} ms (percentages of busy)\n\nself time\n`);
for (const [k, v] of top(self, rows)) process.stdout.write(`${ms(v)} ms ${pct(v)}  ${k}\n`);
process.stdout.write('\nself time by package / file\n');
for (const [k, v] of top(byPkg, rows)) process.stdout.write(`${ms(v)} ms ${pct(v)}  ${k}\n`);
process.stdout.write('\ninclusive time\n');
for (const [k, v] of top(incl, rows * 2)) process.stdout.write(`${ms(v)} ms ${pct(v)}  ${k}\n`);
