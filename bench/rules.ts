/**
 * `npm run bench:rules`: tag fixes per second through the whole rules engine
 * (zones with a Flatbush index, curfews, victim protection, signal timers…)
 * against 1,000 zones, beside two references in the same run: the same fixes
 * placed against every zone by a brute-force loop (what the index saves),
 * and a bare index-query pass (the floor). The indexed and brute-force
 * verdicts are checked to agree. Goal (issue 7): at least 100,000 fixes/s in one process.
 *
 * Settings (environment): VIGIL_BENCH_FIXES (default 300 000), VIGIL_BENCH_DEVICES (default 10 000),
 * VIGIL_BENCH_ZONES (default 1 000), VIGIL_BENCH_ROUNDS (default 3; the best is kept).
 */
import { cpus, loadavg } from 'node:os';
import { newMessage, type MessageOf } from '@vigil/schemas';
import { compile, Engine, parseRuleSet, placeOn, verdict, zonesNear, type RuleSetInput } from '@vigil/analytics';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

const FIXES = intSetting('VIGIL_BENCH_FIXES', 300_000);
const DEVICES = intSetting('VIGIL_BENCH_DEVICES', 10_000);
const ZONES = intSetting('VIGIL_BENCH_ZONES', 1_000);
const ROUNDS = intSetting('VIGIL_BENCH_ROUNDS', 3);
const write = (s: string) => process.stdout.write(s);

let seed = 42;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// A 40 km square over Shanghai; zones 100-600 m across, a fifth of them circles, a tenth on a night schedule,
// a fifth of them inclusion zones bound to one device (homes), as a city's caseload would have.
const LAT0 = 31.05;
const LON0 = 121.25;
const SPAN = 0.4;
const zones: NonNullable<RuleSetInput['zones']> = [];
for (let i = 0; i < ZONES; i++) {
  const lat = LAT0 + rnd() * SPAN;
  const lon = LON0 + rnd() * SPAN;
  const r = 0.0005 + rnd() * 0.0025;
  const base = { id: `z${i}`, site: 'bench', name: { en: `Zone ${i}`, 'zh-CN': `区域${i}` } };
  const kind = i % 5 === 0 ? ('inclusion' as const) : ('exclusion' as const);
  const extra = {
    ...(kind === 'inclusion' ? { devices: [`tag-${i % DEVICES}`] } : {}),
    ...(i % 10 === 3 ? { schedule: { weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '22:00', end: '06:00' }] } } : {}),
  };
  if (i % 5 === 1) zones.push({ ...base, kind, geometry: { type: 'Point', coordinates: [lon, lat] }, radius_m: r * 111_000, ...extra });
  else {
    const n = 6 + Math.floor(rnd() * 8);
    const ring = Array.from({ length: n }, (_, k) => {
      const a = (k / n) * 2 * Math.PI;
      const rr = r * (0.6 + rnd() * 0.4);
      return [lon + (rr * Math.cos(a)) / Math.cos((lat * Math.PI) / 180), lat + rr * Math.sin(a)];
    });
    zones.push({ ...base, kind, geometry: { type: 'Polygon', coordinates: [[...ring, ring[0]!]] }, ...extra });
  }
}
const parsed = parseRuleSet({ zones, defaults: { comm_loss_s: 900, location_loss_s: 1800, min_fixes: 2 }, victims: [{ id: 'v1', site: 'bench', offender_dev: 'tag-1', victim_dev: 'tag-2', distance_m: 500 }] });
if (!parsed.ok) throw new Error(parsed.message);
const ruleSet = parsed.ruleSet;

// Fixes: each device walks from a random start; a third of the walks start inside or beside a zone.
const T0 = Date.UTC(2025, 10, 24, 4);
const pos = Array.from({ length: DEVICES }, (_, d) => {
  if (d % 3 === 0) {
    const z = zones[Math.floor(rnd() * zones.length)]!;
    const c = z.geometry.type === 'Point' ? z.geometry.coordinates : (z.geometry.coordinates as number[][][])[0]![0]!;
    return { lat: c[1]!, lon: c[0]! };
  }
  return { lat: LAT0 + rnd() * SPAN, lon: LON0 + rnd() * SPAN };
});
const fixes: Array<MessageOf<'tag.fix'>> = [];
for (let i = 0; i < FIXES; i++) {
  const d = i % DEVICES;
  const p = pos[d]!;
  p.lat += (rnd() - 0.5) * 0.0006;
  p.lon += (rnd() - 0.5) * 0.0006;
  fixes.push(newMessage('tag.fix', `tag-${d}`, i, { lat: p.lat, lon: p.lon, acc_m: 3 + Math.floor(rnd() * 40) }, T0 + Math.floor(i / DEVICES) * 10_000 + (d % 10_000)));
}

/**
 * Fixes per second of wall time and per second of this process's CPU time (user + system), best round.
 * On a shared machine the wall-clock figure includes time other processes held the CPU; the CPU figure does not.
 */
function rate(fn: () => number, n: number): { perSec: number; perCpuSec: number; out: number } {
  let best = Infinity;
  let bestCpu = Infinity;
  let out = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    out = fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const cu = process.cpuUsage(c);
    best = Math.min(best, ms);
    bestCpu = Math.min(bestCpu, (cu.user + cu.system) / 1000);
  }
  return { perSec: n / (best / 1000), perCpuSec: n / (bestCpu / 1000), out };
}

const compiled = compile(ruleSet);

// 1. The whole engine: every rule that reads tag.fix, timers, state per device.
const engineRun = rate(() => {
  const e = new Engine(ruleSet);
  let alerts = 0;
  for (const f of fixes) alerts += e.handle(f, 'bench').length;
  return alerts;
}, fixes.length);

// 2. Reference: the zone verdicts alone, indexed (what the zones rule does per fix) and brute force over every zone.
const SAMPLE = Math.min(fixes.length, 30_000);
const sample = fixes.slice(0, SAMPLE);
const verdicts = (zs: typeof compiled.zones, f: MessageOf<'tag.fix'>) => {
  let breaches = 0;
  for (const z of zs) if (verdict(z.cfg.kind, placeOn(z.shape, f.body.lat, f.body.lon, f.body.acc_m)) === 'breach' && z.cfg.kind === 'exclusion') breaches++;
  return breaches;
};
const indexed = rate(() => {
  let n = 0;
  for (const f of sample) n += verdicts(zonesNear(compiled, f.body.lat, f.body.lon, f.body.acc_m), f);
  return n;
}, SAMPLE);
const brute = rate(() => {
  let n = 0;
  for (const f of sample) n += verdicts(compiled.zones, f);
  return n;
}, SAMPLE);
const bareIndex = rate(() => {
  let n = 0;
  for (const f of sample) n += zonesNear(compiled, f.body.lat, f.body.lon, f.body.acc_m).length;
  return n;
}, SAMPLE);
if (indexed.out !== brute.out) throw new Error(`indexed and brute-force verdicts differ: ${indexed.out} vs ${brute.out} exclusion breaches`);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const rows = [
  ['', 'fixes/s (wall)', 'fixes/CPU-s', 'ratio to engine (CPU)'],
  [`rules engine, all rules, ${ZONES} zones (Flatbush)`, fmt(engineRun.perSec), fmt(engineRun.perCpuSec), '1.00'],
  ['zone verdicts only, Flatbush index', fmt(indexed.perSec), fmt(indexed.perCpuSec), (indexed.perCpuSec / engineRun.perCpuSec).toFixed(2)],
  [`zone verdicts only, brute force over ${ZONES} zones`, fmt(brute.perSec), fmt(brute.perCpuSec), (brute.perCpuSec / engineRun.perCpuSec).toFixed(2)],
  ['bare index query (no placement)', fmt(bareIndex.perSec), fmt(bareIndex.perCpuSec), (bareIndex.perCpuSec / engineRun.perCpuSec).toFixed(2)],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
write(`bench:rules — ${fmt(fixes.length)} fixes from ${fmt(DEVICES)} tags, ${ZONES} zones, best of ${ROUNDS} (node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)\n`);
for (const r of rows) write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
write(`index speed-up over brute force: ${(indexed.perCpuSec / brute.perCpuSec).toFixed(1)}x (same ${indexed.out} exclusion breaches on ${fmt(SAMPLE)} fixes)\n`);
write(`alerts drafted in the engine run: ${engineRun.out}\n`);
write(
  `goal >= 100,000 fixes/s through the rules in one process: ${engineRun.perCpuSec >= 100_000 ? 'met' : 'NOT met'} per CPU-second` +
    `, ${engineRun.perSec >= 100_000 ? 'met' : 'not met'} by wall clock on this machine now\n`,
);
