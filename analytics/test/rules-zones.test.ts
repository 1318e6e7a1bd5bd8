import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleSetInput } from '../src/index.js';
import { CENTRE, drafts, engineFor, FAR, fix, MON_NOON, NEAR_EDGE, run, sh, SITE, SQUARE, tick, type Step } from './fixtures/rules.js';

const name = { en: 'School', 'zh-CN': '学校' };
const T = MON_NOON;
const S = 10_000;

const zone = (extra: Record<string, unknown> = {}) => ({ id: 'z1', site: SITE, kind: 'exclusion' as const, name, geometry: SQUARE, ...extra });

const table: Array<{ name: string; zone: Record<string, unknown>; steps: Step[]; expect: string[][] }> = [
  {
    name: 'exclusion polygon: walks in, one alert; leaves, returned to normal',
    zone: {},
    steps: [fix('t1', T, FAR), fix('t1', T + S, CENTRE), fix('t1', T + 2 * S, CENTRE), fix('t1', T + 3 * S, FAR)],
    expect: [[], ['+zone.exclusion:t1:z1'], [], ['-zone.exclusion:t1:z1']],
  },
  {
    name: 'exclusion circle (GeoJSON Point + radius_m)',
    zone: { geometry: { type: 'Point', coordinates: [121.437, 31.189] }, radius_m: 100 },
    steps: [fix('t1', T, { lat: 31.1903, lon: 121.437 }), fix('t1', T + S, CENTRE), fix('t1', T + 2 * S, { lat: 31.1905, lon: 121.437 })],
    expect: [[], ['+zone.exclusion:t1:z1'], ['-zone.exclusion:t1:z1']],
  },
  {
    name: 'an accuracy circle overlapping the boundary is not a breach, nor does it re-arm',
    zone: {},
    steps: [fix('t1', T, NEAR_EDGE, 30), fix('t1', T + S, CENTRE, 400), fix('t1', T + 2 * S, NEAR_EDGE, 1)],
    expect: [[], [], []],
  },
  {
    name: 'N consecutive certain fixes (min_fixes 3); an outside fix restarts the count; uncertain fixes neither count nor reset',
    zone: { min_fixes: 3 },
    steps: [fix('t1', T, CENTRE), fix('t1', T + S, CENTRE), fix('t1', T + 2 * S, FAR), fix('t1', T + 3 * S, CENTRE), fix('t1', T + 4 * S, CENTRE, 400), fix('t1', T + 5 * S, CENTRE), fix('t1', T + 6 * S, CENTRE)],
    expect: [[], [], [], [], [], [], ['+zone.exclusion:t1:z1']],
  },
  {
    name: 'or T seconds in breach (min_duration_s 25 with min_fixes 10)',
    zone: { min_fixes: 10, min_duration_s: 25 },
    steps: [fix('t1', T, CENTRE), fix('t1', T + S, CENTRE), fix('t1', T + 2 * S, CENTRE), fix('t1', T + 3 * S, CENTRE)],
    expect: [[], [], [], ['+zone.exclusion:t1:z1']],
  },
  {
    name: 'inclusion zone for one device: leaving is the breach; other devices are not bound by it',
    zone: { kind: 'inclusion', devices: ['t1'] },
    steps: [fix('t1', T, CENTRE), fix('t2', T, FAR), fix('t1', T + S, FAR), fix('t1', T + 2 * S, CENTRE)],
    expect: [[], [], ['+zone.inclusion:t1:z1'], ['-zone.inclusion:t1:z1']],
  },
  {
    name: 'weekly schedule: a weekday 08:00-17:00 exclusion zone is not in force on Saturday or after hours',
    zone: { schedule: { weekly: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' }] } },
    steps: [fix('t1', sh(2025, 11, 29, 10), CENTRE), fix('t1', sh(2025, 11, 24, 18), CENTRE), fix('t1', sh(2025, 11, 25, 9), CENTRE), fix('t1', sh(2025, 11, 25, 17, 1), CENTRE)],
    expect: [[], [], ['+zone.exclusion:t1:z1'], ['-zone.exclusion:t1:z1']],
  },
  {
    name: 'schedule exception: a holiday is off',
    zone: { schedule: { weekly: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' }], exceptions: [{ date: '2025-11-25', off: true }] } },
    steps: [fix('t1', sh(2025, 11, 25, 9), CENTRE), fix('t1', sh(2025, 11, 26, 9), CENTRE)],
    expect: [[], ['+zone.exclusion:t1:z1']],
  },
  {
    name: 'another site\'s zone never fires',
    zone: { site: 'cc-minhang' },
    steps: [fix('t1', T, CENTRE)],
    expect: [[]],
  },
];

for (const row of table) {
  test(`zones: ${row.name}`, () => {
    const e = engineFor({ zones: [zone(row.zone)] as RuleSetInput['zones'], defaults: { comm_loss_s: 604_800, location_loss_s: 604_800 } });
    assert.deepEqual(run(e, row.steps), row.expect);
  });
}

test('zones: the alert carries the fixes that prove it, the zone, event time and the subject', () => {
  const e = engineFor({ zones: [zone({ min_fixes: 2 })] as RuleSetInput['zones'], subjects: { t1: 'subj-1' }, defaults: { comm_loss_s: 604_800, location_loss_s: 604_800 } });
  const steps = [fix('t1', T, FAR), fix('t1', T + S, CENTRE), fix('t1', T + 2 * S, CENTRE)];
  const out = drafts(e, steps);
  assert.equal(out.length, 1);
  const a = out[0]!;
  assert.equal(a.ts, T + 2 * S);
  assert.equal(a.subject, 'subj-1');
  assert.equal(a.evidence.zone_id, 'z1');
  assert.deepEqual(a.evidence.fixes?.map((f) => f.ts), [T + S, T + 2 * S]);
  assert.match(a.title['zh-CN'], /禁止区域/);
  assert.equal(a.cause, (steps[2] as { msg: { id: string } }).msg.id);
});

test('zones: a bad rule set is refused naming the field', () => {
  assert.throws(() => engineFor({ zones: [zone({ geometry: { type: 'Point', coordinates: [121, 31] } })] as RuleSetInput['zones'] }), /radius_m/);
  assert.throws(() => engineFor({ timezone: 'Mars/Olympus' }), /timezone/);
  assert.throws(() => engineFor({ zones: [zone({ schedule: { weekly: [{ days: [8], start: '08:00', end: '17:00' }] } })] as RuleSetInput['zones'] }), /zones\/0\/schedule\/weekly\/0\/days\/0/);
});

test('zones: timers are not needed — ticks alone raise nothing', () => {
  const e = engineFor({ zones: [zone()] as RuleSetInput['zones'], defaults: { comm_loss_s: 604_800, location_loss_s: 604_800 } });
  assert.deepEqual(run(e, [fix('t1', T, FAR), tick(T + 3_600_000)]), [[], []]);
});
