import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleSetInput } from '../src/index.js';
import { CENTRE, drafts, engineFor, fix, MON_NOON, msg, run, sh, SITE, tick, type Step } from './fixtures/rules.js';

const T = MON_NOON;
const S = 1000;
const quiet = { comm_loss_s: 604_800, location_loss_s: 604_800 };

const table: Array<{ name: string; rules?: RuleSetInput; steps: Step[]; expect: string[][] }> = [
  {
    name: 'strap and case tamper are each cleared only by their own restore',
    steps: [
      msg('tag.tamper', 't1', T, { what: 'strap', active: true }),
      msg('tag.tamper', 't1', T + S, { what: 'case', active: true }),
      msg('tag.tamper', 't1', T + 2 * S, { what: 'case', active: false }),
      msg('tag.tamper', 't1', T + 3 * S, { what: 'case', active: false }),
      msg('tag.tamper', 't1', T + 4 * S, { what: 'strap', active: true }),
      msg('tag.tamper', 't1', T + 5 * S, { what: 'strap', active: false }),
    ],
    expect: [['+tamper.strap:t1'], ['+tamper.case:t1'], ['-tamper.case:t1'], [], ['+tamper.strap:t1'], ['-tamper.strap:t1']],
  },
  {
    name: 'battery low and critical with hysteresis (no chatter around the line)',
    steps: [50, 19, 21, 4, 8, 12, 22, 30].map((pct, i) => msg('tag.health', 't1', T + i * S, { battery_pct: pct })),
    expect: [[], ['+battery.low:t1'], [], ['+battery.critical:t1'], [], ['-battery.critical:t1'], [], ['-battery.low:t1']],
  },
  {
    name: 'battery: straight to critical raises both; charging above the line clears',
    steps: [msg('tag.health', 't1', T, { battery_pct: 3 }), msg('tag.health', 't1', T + S, { battery_pct: 21, charging: true })],
    expect: [['+battery.low:t1', '+battery.critical:t1'], ['-battery.critical:t1', '-battery.low:t1']],
  },
  {
    name: 'communication loss after the buffer, by event time (ticks), cleared by any message; location loss suppressed by design while communication is lost',
    rules: { defaults: { comm_loss_s: 60, location_loss_s: 60 } },
    steps: [fix('t1', T, CENTRE), tick(T + 59 * S), tick(T + 60 * S), tick(T + 600 * S), msg('tag.health', 't1', T + 601 * S, { battery_pct: 80 }), fix('t1', T + 602 * S, CENTRE)],
    expect: [[], [], ['+signal.comm_loss:t1', '~signal.location_loss:t1'], [], ['-signal.comm_loss:t1'], ['-signal.location_loss:t1']],
  },
  {
    name: 'location loss alone: health keeps coming, fixes stop',
    rules: { defaults: { comm_loss_s: 600, location_loss_s: 120 } },
    steps: [fix('t1', T, CENTRE), msg('tag.health', 't1', T + 100 * S, { battery_pct: 80 }), msg('tag.health', 't1', T + 200 * S, { battery_pct: 80 }), fix('t1', T + 300 * S, CENTRE)],
    expect: [[], [], ['+signal.location_loss:t1'], ['-signal.location_loss:t1']],
  },
  {
    name: 'another device\'s message moves event time too: the silent tag\'s timer fires then',
    rules: { defaults: { comm_loss_s: 60, location_loss_s: 604_800 } },
    steps: [fix('t1', T, CENTRE), fix('t2', T + 30 * S, CENTRE), fix('t2', T + 61 * S, CENTRE)],
    expect: [[], [], ['+signal.comm_loss:t1']],
  },
  {
    name: 'panic: critical at once, repeats fold (same key)',
    steps: [msg('panic.press', 't1', T, { button: 'sos' }), msg('panic.press', 't1', T + S, {})],
    expect: [['+panic:t1'], ['+panic:t1']],
  },
  {
    name: 'victim protection: within the distance of the victim\'s moving position, accuracy-aware; moving apart clears',
    rules: { victims: [{ id: 'pair-1', site: SITE, offender_dev: 'off', victim_dev: 'vic', distance_m: 500 }] },
    steps: [
      fix('vic', T, { lat: 31.2, lon: 121.45 }),
      fix('off', T + S, { lat: 31.21, lon: 121.45 }), // ~1.1 km
      fix('vic', T + 2 * S, { lat: 31.206, lon: 121.45 }, 60), // victim walks towards: ~445 m, but 60 m + 5 m accuracy makes it uncertain
      fix('off', T + 3 * S, { lat: 31.209, lon: 121.45 }), // ~330 m
      fix('vic', T + 4 * S, { lat: 31.2, lon: 121.45 }), // ~1 km again
    ],
    expect: [[], [], [], ['+victim.proximity:pair-1'], ['-victim.proximity:pair-1']],
  },
];

for (const row of table) {
  test(`device rules: ${row.name}`, () => {
    const rules = row.rules ?? { defaults: quiet };
    assert.deepEqual(run(engineFor({ ...rules, defaults: { ...quiet, ...rules.defaults } }), row.steps), row.expect);
  });
}

test('victim protection: a stale victim position is not compared', () => {
  const e = engineFor({ defaults: { ...quiet, victim_stale_s: 60 }, victims: [{ id: 'p', site: SITE, offender_dev: 'off', victim_dev: 'vic', distance_m: 500 }] });
  assert.deepEqual(run(e, [fix('vic', T, { lat: 31.2, lon: 121.45 }), fix('off', T + 120 * S, { lat: 31.2001, lon: 121.45 })]), [[], []]);
});

test('panic carries where it was pressed', () => {
  const out = drafts(engineFor({ defaults: quiet }), [msg('panic.press', 't1', T, { lat: 31.2, lon: 121.4, acc_m: 9 })]);
  assert.equal(out[0]!.severity, 'critical');
  assert.deepEqual(out[0]!.evidence.fixes?.map((f) => [f.lat, f.lon, f.acc_m]), [[31.2, 121.4, 9]]);
});

// Gates: door d1 leads into area cell-a, unlocked by schedule 08:00-09:00; held open limit 30 s.
const gateRules: RuleSetInput = {
  defaults: quiet,
  doors: [{ id: 'd1', site: SITE, held_open_s: 30, unlock: { weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '08:00', end: '09:00' }] }, area: 'cell-a', dev: 'gw-1', denied_limit: 3, denied_window_s: 60 }],
  areas: [{ id: 'cell-a', site: SITE, expected: 2, roll_calls: ['21:00'], anti_passback: true }],
};
const state = (ts: number, open: boolean, extra: Record<string, boolean> = {}) => msg('gate.state', 'gw-1', ts, { door: 'd1', open, locked: true, ...extra });
const access = (ts: number, card: string, direction: 'in' | 'out', granted = true) => msg('gate.access', 'gw-1', ts, { door: 'd1', card, direction, granted });

const gates: Array<{ name: string; steps: Step[]; expect: string[][] }> = [
  {
    name: 'forced: opened while locked with no card just before; closing clears',
    steps: [state(T, false), state(T + S, true), state(T + 5 * S, false)],
    expect: [[], ['+gate.forced:cc-xuhui:d1'], ['-gate.forced:cc-xuhui:d1']],
  },
  {
    name: 'a granted card then the door opening is a passage, not forced',
    steps: [access(T, 'c1', 'in'), state(T + 2 * S, true), state(T + 6 * S, false)],
    expect: [[], [], []],
  },
  {
    name: 'held open past the limit (timer), cleared on close',
    steps: [access(T, 'c1', 'in'), state(T + S, true), tick(T + 30 * S), tick(T + 31 * S), state(T + 40 * S, false)],
    expect: [[], [], [], ['+gate.held_open:cc-xuhui:d1'], ['-gate.held_open:cc-xuhui:d1']],
  },
  {
    name: 'suppressed by design: open during the scheduled unlock is no alarm; held-open counts from the unlock\'s end',
    steps: [state(sh(2025, 11, 24, 8, 10), true), tick(sh(2025, 11, 24, 8, 50)), tick(sh(2025, 11, 24, 9, 0, 29)), tick(sh(2025, 11, 24, 9, 0, 31))],
    expect: [[], [], [], ['+gate.held_open:cc-xuhui:d1']],
  },
  {
    name: 'tamper from the door state and its restore; the controller\'s own alarms',
    steps: [state(T, false, { tamper: true }), state(T + S, false, { tamper: false }), msg('gate.alarm', 'gw-1', T + 2 * S, { door: 'd1', alarm: 'forced', active: true }), msg('gate.alarm', 'gw-1', sh(2025, 11, 24, 8, 30), { door: 'd1', alarm: 'held_open', active: true })],
    expect: [['+gate.tamper:cc-xuhui:d1'], ['-gate.tamper:cc-xuhui:d1'], ['+gate.forced:cc-xuhui:d1'], []],
  },
  {
    name: 'repeated denials: 3 within 60 s',
    steps: [access(T, 'x', 'in', false), access(T + 10 * S, 'x', 'in', false), access(T + 100 * S, 'x', 'in', false), access(T + 110 * S, 'x', 'in', false), access(T + 120 * S, 'x', 'in', false)],
    expect: [[], [], [], [], ['+gate.denied:cc-xuhui:d1']],
  },
  {
    name: 'anti-passback: in twice without out; out without in',
    steps: [access(T, 'c1', 'in'), access(T + S, 'c1', 'in'), access(T + 2 * S, 'c2', 'out')],
    expect: [[], ['+gate.anti_passback:cc-xuhui:cell-a:c1'], ['+gate.anti_passback:cc-xuhui:cell-a:c2']],
  },
];

for (const row of gates) {
  test(`gates: ${row.name}`, () => {
    assert.deepEqual(run(engineFor(gateRules), row.steps), row.expect);
  });
}

test('headcount: the count from gate events against the roll at roll-call time', () => {
  const e = engineFor(gateRules);
  const ROLL = sh(2025, 11, 24, 21);
  const out = drafts(e, [access(ROLL - 3600_000, 'c1', 'in'), access(ROLL - 3500_000, 'c2', 'in'), access(ROLL - 3400_000, 'c3', 'in'), access(ROLL - 3300_000, 'c3', 'out'), tick(ROLL + S)], ROLL - 4 * 3600_000);
  assert.deepEqual(out, [], 'two in, as expected: no alert');
  const out2 = drafts(e, [access(ROLL + 3600_000, 'c2', 'out'), tick(ROLL + 86_400_000 + S)]);
  assert.equal(out2.length, 1);
  assert.equal(out2[0]!.rule, 'headcount.mismatch');
  assert.deepEqual([out2[0]!.evidence.expected, out2[0]!.evidence.counted], [2, 1]);
  assert.equal(out2[0]!.ts, ROLL + 86_400_000);
  assert.match(out2[0]!.title['zh-CN'], /实到 1 人，应到 2 人/);
});
