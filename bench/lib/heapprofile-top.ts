/**
 * Summarise a V8 sampling heap profile (.heapprofile, from VIGIL_BENCH_HEAP_PROFILE=1 with
 * VIGIL_BENCH_BROKER_PROFILE_DIR): bytes allocated by the allocating function, and inclusive by caller.
 *
 *   npx tsx bench/lib/heapprofile-top.ts FILE.heapprofile [rows=30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: heapprofile-top.ts FILE.heapprofile [rows]');
const rows = Number(process.argv[3] ?? 30) || 30;
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: Node };
const short = (url: string) => url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, 'nm/');
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const incl = new Map<string, number>();
let total = 0;
function walk(n: Node, stack: Set<string>): number {
  const l = label(n);
  self.set(l, (self.get(l) ?? 0) + n.selfSize);
  total += n.selfSize;
  const fresh = !stack.has(l);
  if (fresh) stack.add(l);
  let sum = n.selfSize;
  for (const c of n.children) sum += walk(c, stack);
  if (fresh) {
    stack.delete(l);
    incl.set(l, (incl.get(l) ?? 0) + sum);
  }
  return sum;
}
walk(head, new Set());
const mb = (b: number) => (b / 2 ** 20).toFixed(1).padStart(7);
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
process.stdout.write(`${file}\n${mb(total)} MiB sampled\n\nallocated by (self)\n`);
for (const [k, v] of top(self, rows)) process.stdout.write(`${mb(v)} MiB  ${k}\n`);
process.stdout.write('\ninclusive\n');
for (const [k, v] of top(incl, rows * 2)) process.stdout.write(`${mb(v)} MiB  ${k}\n`);
