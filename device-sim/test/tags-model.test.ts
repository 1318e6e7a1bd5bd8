import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distance } from '@turf/distance';
import type { TagSim} from '../src/index.js';
import { DEMO, SimFleet, buildTagFleet, nearAny, localMidnight, type SimEvent } from '../src/index.js';

const DAY = 86_400_000;
const START = Date.parse('2026-03-02T00:00:00+08:00');
const exclusion = nearAny(
  DEMO.zones.filter((z) => z.kind === 'exclusion').map((z) => z.ring),
  0,
);

async function simulate(seed: number, ms: number, tag: Partial<ConstructorParameters<typeof TagSim>[4]> = {}, subjects = DEMO.subjects) {
  const built = buildTagFleet({ subjects, zones: DEMO.zones, seed, startMs: START, tag: { fixIntervalMs: 60_000, ...tag } });
  const events: SimEvent[] = [];
  const fleet = new SimFleet(built.devices, (e) => void events.push(e), START);
  await fleet.runUntil(START + ms);
  return { built, fleet, events };
}

test('over two days the caseload keeps its routines: never in an exclusion zone, home by curfew, moving at walking or vehicle speed', async () => {
  const { built, events } = await simulate(11, 2 * DAY);
  const fixes = events.filter((e): e is Extract<SimEvent, { type: 'tag.fix' }> => e.type === 'tag.fix');
  assert.ok(fixes.length > 24 * 2 * 60 * 20, `${fixes.length} fixes`);
  assert.deepEqual(fixes.filter((f) => exclusion([f.gnss.truth.lon, f.gnss.truth.lat])).map((f) => f.dev), [], 'no true position inside an exclusion zone');
  for (const s of DEMO.subjects) {
    const tag = built.tags.get(s.tagId)!;
    for (const day of [START, START + DAY]) {
      const atCurfew = tag.truePosition(day + s.routine.curfewMin * 60_000);
      assert.equal(atCurfew.placeId, s.home.id, `${s.tagId} is home at curfew`);
      assert.equal(tag.truePosition(day + 3 * 3_600_000).placeId, s.home.id, `${s.tagId} is home at 03:00`);
      if (s.work) assert.equal(tag.truePosition(day + 12 * 3_600_000).placeId, s.work.id, `${s.tagId} is at work at noon`);
    }
    const speeds = new Set(fixes.filter((f) => f.dev === s.tagId && (f.body.speed_mps ?? 0) > 0).map((f) => f.body.speed_mps));
    assert.ok([...speeds].every((v) => v === 1.4 || v === 8.5), `${s.tagId} speeds ${[...speeds]}`);
    assert.ok(speeds.size > 0, `${s.tagId} moves`);
  }
});

test('GPS error: within the reported accuracy about two times in three, worse indoors, a rare far outlier', async () => {
  const { events } = await simulate(12, DAY);
  const fixes = events.filter((e): e is Extract<SimEvent, { type: 'tag.fix' }> => e.type === 'tag.fix' && !e.gnss.outlier);
  const within = fixes.filter((f) => distance([f.body.lon, f.body.lat], [f.gnss.truth.lon, f.gnss.truth.lat], { units: 'meters' }) <= f.body.acc_m).length / fixes.length;
  assert.ok(within > 0.6 && within < 0.76, `share within acc_m: ${within}`);
  const moving = fixes.filter((f) => (f.body.speed_mps ?? 0) > 0);
  const still = fixes.filter((f) => f.body.speed_mps === 0);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(still.map((f) => f.body.acc_m)) > 2 * mean(moving.map((f) => f.body.acc_m)), 'indoor accuracy is worse');
  const all = events.filter((e): e is Extract<SimEvent, { type: 'tag.fix' }> => e.type === 'tag.fix');
  const outliers = all.filter((f) => f.gnss.outlier);
  assert.ok(outliers.length > 0 && outliers.length / all.length < 0.01, `${outliers.length} outliers`);
  for (const o of outliers) assert.ok(distance([o.body.lon, o.body.lat], [o.gnss.truth.lon, o.gnss.truth.lat], { units: 'meters' }) >= 79);
});

test('same seed, same events; another seed, other noise', async () => {
  const strip = (evs: SimEvent[]) => JSON.stringify(evs.map((e) => [e.dev, e.ts, e.type, e.body]));
  const subjects = DEMO.subjects.slice(0, 6);
  const a = await simulate(3, 6 * 3_600_000, {}, subjects);
  const b = await simulate(3, 6 * 3_600_000, {}, subjects);
  const c = await simulate(4, 6 * 3_600_000, {}, subjects);
  assert.equal(strip(a.events), strip(b.events));
  assert.notEqual(strip(a.events), strip(c.events));
});

test('signal loss keeps what the tag would have sent and sends it when the signal returns; battery drain reports critical', async () => {
  const subjects = DEMO.subjects.slice(0, 1);
  const { fleet, events } = await simulate(5, 0, { fixIntervalMs: 10_000, healthIntervalMs: 600_000 }, subjects);
  const id = subjects[0]!.tagId;
  await fleet.runUntil(START + 60_000);
  const before = events.length;
  await fleet.inject(id, 'signal-loss', { seconds: 60 });
  await fleet.runUntil(START + 115_000);
  assert.equal(events.length, before, 'nothing is sent during the loss');
  await fleet.runUntil(START + 130_000);
  const after = events.slice(before).filter((e) => e.type === 'tag.fix');
  assert.ok(after.length >= 7, `${after.length} fixes after the loss`);
  assert.deepEqual(
    after.map((e) => e.ts),
    [...after.map((e) => e.ts)].sort((x, y) => x - y),
    'in time order',
  );
  await fleet.inject(id, 'battery-drain', { to_pct: 4, over_min: 2 });
  await fleet.runUntil(START + 400_000);
  const health = events.filter((e): e is Extract<SimEvent, { type: 'tag.health' }> => e.type === 'tag.health' && e.ts > START + 130_000);
  assert.ok(health.length >= 5, 'health with every fix once critical');
  assert.equal(health[health.length - 1]!.body.battery_pct, 4);
  await assert.rejects(fleet.inject(id, 'enter-zone', { zone: 'nowhere' }), /unknown zone/);
  await assert.rejects(fleet.inject(id, 'battery-drain', { to_pct: 'low' }), /to_pct/);
});

test('local midnight is at 16:00 UTC (Asia/Shanghai)', () => {
  assert.equal(new Date(localMidnight(Date.parse('2026-03-02T15:59:00Z'))).toISOString(), '2026-03-01T16:00:00.000Z');
  assert.equal(new Date(localMidnight(Date.parse('2026-03-02T16:00:00Z'))).toISOString(), '2026-03-02T16:00:00.000Z');
});
