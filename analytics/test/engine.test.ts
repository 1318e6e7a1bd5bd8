import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionOfDevice } from '@vigil/ingest';
import { newMessage } from '@vigil/schemas';
import type { Engine} from '../src/index.js';
import { placeFix, placeOn, preparePolygon, TimerWheel, type EngineSnapshot, type RuleSetInput } from '../src/index.js';
import { engineFor, label, MON_NOON, sh, SITE, SQUARE, type Step } from './fixtures/rules.js';
import { SCHOOL } from './fixtures/zones.js';

/** A deterministic pseudo-random generator (mulberry32), so the streams are the same every run. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RULES: RuleSetInput = {
  defaults: { comm_loss_s: 120, location_loss_s: 300, min_fixes: 2 },
  zones: [
    { id: 'school', site: SITE, kind: 'exclusion', name: { en: 'School', 'zh-CN': '学校' }, geometry: SQUARE },
    {
      id: 'home',
      site: SITE,
      kind: 'inclusion',
      name: { en: 'Home', 'zh-CN': '住所' },
      geometry: { type: 'Point', coordinates: [121.44, 31.195] },
      radius_m: 300,
      curfew: true,
      devices: ['tag-0', 'tag-1'],
      schedule: { weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '21:00', end: '06:00' }] },
    },
  ],
  victims: [{ id: 'p1', site: SITE, offender_dev: 'tag-2', victim_dev: 'vic-1', distance_m: 400 }],
};

/** Ten devices wandering around the zones for a night, with silences, tamper and battery events, and clock ticks. */
function stream(seed: number, n: number): Step[] {
  const r = rng(seed);
  const steps: Step[] = [];
  let t = sh(2025, 11, 24, 20);
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 20_000);
    const x = r();
    if (x < 0.05) {
      steps.push({ tick: t });
      continue;
    }
    const devs = ['tag-0', 'tag-1', 'tag-2', 'tag-3', 'vic-1'];
    const dev = devs[Math.floor(r() * devs.length)]!;
    if (x < 0.08) steps.push({ msg: newMessage('tag.tamper', dev, i, { what: r() < 0.5 ? 'strap' : 'case', active: r() < 0.6 }, t) });
    else if (x < 0.12) steps.push({ msg: newMessage('tag.health', dev, i, { battery_pct: Math.floor(r() * 100) }, t) });
    else if (x < 0.5) steps.push({ msg: newMessage('tag.fix', dev, i, { lat: 31.1885 + r() * 0.001, lon: 121.4365 + r() * 0.001, acc_m: Math.floor(r() * 20) }, t) });
    else steps.push({ msg: newMessage('tag.fix', dev, i, { lat: 31.185 + r() * 0.015, lon: 121.432 + r() * 0.012, acc_m: Math.floor(r() * 60) }, t) });
    if (r() < 0.01) t += 400_000; // a silence: loss-of-signal timers fire
  }
  return steps;
}

const runAll = (e: Engine, steps: Step[]) => steps.flatMap((s) => ('tick' in s ? e.tick(s.tick) : e.handle(s.msg, SITE)));

test('same input, same output: a recorded stream gives the same alerts every time', () => {
  const steps = stream(7, 3000);
  const a = runAll(engineFor(RULES), steps);
  const b = runAll(engineFor(RULES), steps);
  assert.ok(a.length > 20, `a busy night raises alerts (${a.length})`);
  const kinds = new Set(a.map((d) => d.rule));
  for (const k of ['zone.exclusion', 'signal.comm_loss', 'tamper.strap', 'battery.low', 'curfew.late', 'victim.proximity']) assert.ok(kinds.has(k), `${k} occurs in the stream`);
  assert.deepEqual(a, b);
});

test('a snapshot taken anywhere (through JSON, as stored) and restored continues exactly as an uninterrupted run', () => {
  const steps = stream(11, 2000);
  const whole = runAll(engineFor(RULES), steps).map(label);
  for (const cut of [1, 333, 1000, 1999]) {
    const first = engineFor(RULES);
    const before = runAll(first, steps.slice(0, cut)).map(label);
    const snap = JSON.parse(JSON.stringify(first.snapshot())) as EngineSnapshot;
    const second = engineFor(RULES);
    second.restore(snap);
    const after = runAll(second, steps.slice(cut)).map(label);
    assert.deepEqual([...before, ...after], whole, `cut at ${cut}`);
  }
});

test('a message delivered twice (QoS 1 redelivery, replay after restart) is applied once', () => {
  const e = engineFor(RULES);
  const m = newMessage('tag.tamper', 'tag-0', 1, { what: 'strap', active: true }, MON_NOON);
  assert.equal(e.handle(m, SITE).length, 1);
  assert.equal(e.handle(m, SITE).length, 0);
});

test('partitions: every device goes to exactly one process; a victim\'s phone goes with the offender; door controllers with their area', () => {
  const rules: RuleSetInput = {
    ...RULES,
    doors: [{ id: 'd1', site: SITE, area: 'cell-a', dev: 'gw-1' }],
    areas: [{ id: 'cell-a', site: SITE, expected: 1, roll_calls: ['21:00'] }],
  };
  const count = 4;
  const engines = Array.from({ length: count }, (_, i) => engineFor(rules, (k) => partitionOfDevice(k, count) === i));
  for (let d = 0; d < 500; d++) assert.equal(engines.filter((e) => e.ownsDevice(`tag-${d}`)).length, 1);
  const owner = engines.findIndex((e) => e.ownsDevice('tag-2'));
  assert.equal(engines.findIndex((e) => e.ownsDevice('vic-1')), owner);
  const areaOwner = partitionOfDevice('area:cell-a', count);
  assert.ok(engines[areaOwner]!.ownsDevice('gw-1'));
  // Roll-call timers start only in the process that owns the area.
  const boots = engines.map((e) => (e.bootstrap(sh(2025, 11, 24, 20)), e.timers));
  assert.ok(boots[areaOwner]! >= 1);
  assert.equal(boots.reduce((a, b) => a + b, 0), 1 + 2, 'one roll call, two listed curfews');
});

test('fast placement agrees with turf on 20,000 random fixes (polygon with accuracy circles)', () => {
  const r = rng(3);
  const shape = preparePolygon(SCHOOL.geometry.coordinates as number[][][], false);
  for (let i = 0; i < 20_000; i++) {
    const lat = 31.187 + r() * 0.004;
    const lon = 121.435 + r() * 0.004;
    const acc = Math.floor(r() * 50);
    const a = placeOn(shape, lat, lon, acc);
    const b = placeFix(SCHOOL, lat, lon, acc);
    if (a !== b) {
      // Only where the two distance models differ by centimetres at the boundary.
      assert.equal(a === 'uncertain' || b === 'uncertain', true, `${lat},${lon} ±${acc}: ${a} vs ${b}`);
    }
  }
});

test('timer wheel: fires in (due, key) order, reschedules and cancels in place, and takes past-due timers', () => {
  const w = new TimerWheel(1000);
  w.set('b', 5_500);
  w.set('a', 5_500);
  w.set('c', 2_000);
  w.set('d', 9_000);
  w.set('d', 3_000);
  w.set('c', undefined);
  assert.deepEqual(w.takeDue(6_000), [
    { key: 'd', at: 3_000 },
    { key: 'a', at: 5_500 },
    { key: 'b', at: 5_500 },
  ]);
  w.set('late', 1_000); // already past: due at the next advance
  w.set('e', 100_000_000);
  assert.deepEqual(w.takeDue(6_001), [{ key: 'late', at: 1_000 }]);
  assert.deepEqual(w.takeDue(99_999_999), []);
  assert.deepEqual(w.takeDue(100_000_000), [{ key: 'e', at: 100_000_000 }]);
  assert.equal(w.size, 0);
});

test('a device clock running ahead does not fire other devices\' timers early when the caller caps time', () => {
  const rules: RuleSetInput = { defaults: { comm_loss_s: 60, location_loss_s: 604_800 } };
  const T = MON_NOON;
  const capped = engineFor(rules);
  capped.handle(newMessage('tag.fix', 'tag-a', 1, { lat: 31.2, lon: 121.4, acc_m: 5 }, T), SITE, T + 1000);
  const wrong = newMessage('tag.fix', 'tag-b', 1, { lat: 31.2, lon: 121.4, acc_m: 5 }, T + 86_400_000); // a day ahead
  assert.deepEqual(capped.handle(wrong, SITE, T + 2000).map(label), []);
  const uncapped = engineFor(rules);
  uncapped.handle(newMessage('tag.fix', 'tag-a', 1, { lat: 31.2, lon: 121.4, acc_m: 5 }, T), SITE);
  assert.deepEqual(uncapped.handle(wrong, SITE).map(label), ['+signal.comm_loss:tag-a'], 'without the cap, the wrong clock fires it');
});
