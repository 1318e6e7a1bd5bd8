import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '@vigil/schemas';
import { createStormControl, parsePolicy, planSms, policyMatches, render, signLink, smsLength, verifyLink, type Policy } from '../src/notifications/index.js';
import { inWindow, localTime, scheduleOpen } from '../src/notifications/schedule.js';
import type { AlertSummary } from '../src/notifications/types.js';

const summary = (over: Partial<AlertSummary> = {}): AlertSummary => ({
  id: newId(),
  rule: 'zone.exclusion',
  severity: 'high',
  site: 'prison-a',
  dev: 'tag-1',
  subject: 'p-1',
  title: { en: 'Exclusion zone entered: perimeter fence', 'zh-CN': '进入禁区：围墙周界' },
  raised_ts: Date.UTC(2026, 10, 26, 2, 30),
  ...over,
});

describe('SMS length', () => {
  test('GSM 7-bit: 160 in one, 161 in two parts of at most 153', () => {
    assert.deepEqual(planSms('a'.repeat(160)), { encoding: 'gsm7', parts: ['a'.repeat(160)], truncated: false });
    const p = planSms('a'.repeat(161));
    assert.equal(p.encoding, 'gsm7');
    assert.deepEqual(p.parts.map((x) => x.length), [153, 8]);
  });
  test('extension characters count two septets', () => {
    assert.equal(smsLength('{}€'), 6);
    assert.equal(planSms('€'.repeat(80)).parts.length, 1);
    assert.equal(planSms('€'.repeat(81)).parts.length, 2);
  });
  test('Chinese goes as UCS-2: 70 in one, 71 in two parts of at most 67', () => {
    assert.equal(planSms('警'.repeat(70)).parts.length, 1);
    const p = planSms('警'.repeat(71));
    assert.equal(p.encoding, 'ucs2');
    assert.deepEqual(p.parts.map((x) => x.length), [67, 4]);
  });
  test('never splits a surrogate pair; cut at maxParts with an ellipsis', () => {
    const p = planSms('😀'.repeat(40));
    assert.ok(p.parts.every((x) => !/[\uD800-\uDBFF]$/.test(x)));
    assert.equal(p.parts.join(''), '😀'.repeat(40));
    const long = planSms('警'.repeat(1000), 3);
    assert.equal(long.parts.length, 3);
    assert.equal(long.truncated, true);
    assert.ok(long.parts[2]!.endsWith('…') && long.parts[2]!.length <= 67);
  });
});

describe('deep link', () => {
  const secret = Buffer.from('0123456789abcdef0123456789abcdef');
  test('round-trips, is short, and refuses forged or expired tokens', () => {
    const id = newId();
    const token = signLink(secret, id, Date.now() + 60_000);
    assert.equal(token.length, 50);
    assert.equal(verifyLink(secret, token, Date.now()).notificationId, id);
    const forged = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
    assert.throws(() => verifyLink(secret, forged, Date.now()), /invalid link/);
    assert.throws(() => verifyLink(Buffer.from('other'), token, Date.now()), /invalid link/);
    assert.throws(() => verifyLink(secret, token, Date.now() + 120_000), /expired/);
    assert.throws(() => verifyLink(secret, 'nope', Date.now()), /malformed/);
  });
});

describe('schedule and quiet hours', () => {
  test('local time in a time zone, with daylight saving', () => {
    // 2026-07-01 12:00 UTC is 20:00 in Shanghai and 08:00 in New York (EDT).
    const t = Date.UTC(2026, 6, 1, 12, 0);
    assert.deepEqual(localTime('Asia/Shanghai', t), { weekday: 3, minute: 20 * 60 });
    assert.deepEqual(localTime('America/New_York', t), { weekday: 3, minute: 8 * 60 });
    assert.equal(localTime('America/New_York', Date.UTC(2026, 0, 1, 12, 0)).minute, 7 * 60);
  });
  test('a window may wrap past midnight', () => {
    assert.equal(inWindow(23 * 60, 22 * 60, 7 * 60), true);
    assert.equal(inWindow(6 * 60, 22 * 60, 7 * 60), true);
    assert.equal(inWindow(12 * 60, 22 * 60, 7 * 60), false);
  });
  test('a weekly window Fri 22:00-06:00 covers Saturday 03:00 local, not Sunday 03:00', () => {
    const s = { tz: 'Asia/Shanghai', windows: [{ days: [5], start: '22:00', end: '06:00' }] };
    // Saturday 2026-11-28 03:00 Shanghai = Friday 19:00 UTC.
    assert.equal(scheduleOpen(s, Date.UTC(2026, 10, 27, 19, 0)), true);
    assert.equal(scheduleOpen(s, Date.UTC(2026, 10, 28, 19, 0)), false);
  });
});

describe('policies', () => {
  const row = {
    id: 'p1',
    org_unit_id: 'city',
    site_id: null,
    rules: ['zone.*', 'tag.tamper'],
    min_severity: 'high',
    subject_id: null,
    recipients: [{ kind: 'officer' }],
    channels: ['sms'],
    schedule: null,
    escalation: [],
  };
  test('matches by org subtree, rule (with a prefix), severity, subject', () => {
    const p: Policy = parsePolicy(row);
    const a = { site: 'prison-a', rule: 'zone.exclusion', severity: 'critical' as const, subject: 'p-1' };
    assert.equal(policyMatches(p, a, ['county', 'city', 'province'], Date.now()), true);
    assert.equal(policyMatches(p, a, ['county-b', 'city-b'], Date.now()), false);
    assert.equal(policyMatches(p, { ...a, severity: 'medium' }, ['city'], Date.now()), false);
    assert.equal(policyMatches(p, { ...a, rule: 'battery.low' }, ['city'], Date.now()), false);
    assert.equal(policyMatches({ ...p, subjectId: 'p-2' }, a, ['city'], Date.now()), false);
  });
  test('a bad stored policy is refused naming the field', () => {
    assert.throws(() => parsePolicy({ ...row, channels: ['pager'] }), /policy p1: channels\/0/);
    assert.throws(() => parsePolicy({ ...row, recipients: [{ kind: 'role', role: 'janitor' }] }), /policy p1: recipients\/0/);
    assert.throws(() => parsePolicy({ ...row, schedule: { tz: 'Mars/Base', windows: [{ days: [1], start: '08:00', end: '18:00' }] } }), /schedule.tz/);
  });
});

describe('storm control', () => {
  test('first of a kind at once, the rest grouped, over the limit a digest', () => {
    const storm = createStormControl({ groupWindowMs: 10_000, maxPerMinute: 3, closeMarginMs: 100 }, newId);
    const t = 1_000_000;
    assert.deepEqual(storm.decide('sms:1', 'zone@a', t), { action: 'send' });
    const g = storm.decide('sms:1', 'zone@a', t + 10);
    assert.equal(g.action, 'group');
    const g2 = storm.decide('sms:1', 'zone@a', t + 20);
    assert.equal(g2.action === 'group' && g.action === 'group' && g2.batchId === g.batchId && !g2.isNew, true);
    assert.deepEqual(storm.decide('sms:1', 'tamper@a', t + 30), { action: 'send' });
    // Three messages in this minute: everything else becomes one digest.
    const d = storm.decide('sms:1', 'battery@a', t + 40);
    assert.equal(d.action, 'digest');
    const d2 = storm.decide('sms:1', 'panic@a', t + 50);
    assert.equal(d2.action === 'digest' && d.action === 'digest' && d2.batchId === d.batchId, true);
    // Another recipient is not affected.
    assert.deepEqual(storm.decide('sms:2', 'battery@a', t + 40), { action: 'send' });
  });
  test('200 alerts of one kind in a minute make at most the limit of messages', () => {
    const storm = createStormControl({ groupWindowMs: 30_000, maxPerMinute: 6 }, newId);
    const rows = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const d = storm.decide('sms:1', `k${i % 3}@a`, 1_000_000 + i * 300);
      rows.add(d.action === 'send' ? `s${i}` : d.batchId);
    }
    assert.ok(rows.size <= 7, `messages: ${rows.size}`);
  });
});

describe('messages', () => {
  test('in the recipient language, link last, reply code stated', () => {
    const zh = render({ kind: 'single', lang: 'zh-CN', timeZone: 'Asia/Shanghai', alerts: [summary()], link: 'https://v/m/x', shortCode: '0427' });
    assert.equal(zh.text, '【Vigil】高 进入禁区：围墙周界，prison-a p-1 10:30。回复0427确认。 https://v/m/x');
    const en = render({ kind: 'group', lang: 'en', timeZone: 'UTC', alerts: [summary(), summary({ raised_ts: Date.UTC(2026, 10, 26, 2, 31) })] });
    assert.match(en.subject, /^\[Vigil\] 2 alerts: Exclusion zone entered/);
    assert.match(en.text, /last 02:31/);
    const digest = render({ kind: 'digest', lang: 'en', timeZone: 'UTC', alerts: [summary(), summary(), summary({ rule: 'tag.tamper', title: { en: 'Strap cut', 'zh-CN': '腕带被剪' }, severity: 'critical' })] });
    assert.match(digest.text, /CRITICAL digest: 3 alerts: 2× Exclusion zone entered: perimeter fence \(prison-a\); 1× Strap cut/);
  });
});

describe('settings', () => {
  test('a bad setting is refused naming it; absent channels are simply off', async () => {
    const { readNotifyConfig } = await import('../src/notifications/index.js');
    const secret = 'x'.repeat(32);
    assert.throws(() => readNotifyConfig({}), /VIGIL_NOTIFY_LINK_SECRET/);
    assert.throws(() => readNotifyConfig({ VIGIL_NOTIFY_LINK_SECRET: 'short' }), /VIGIL_NOTIFY_LINK_SECRET: at least 32/);
    assert.throws(() => readNotifyConfig({ VIGIL_NOTIFY_LINK_SECRET: secret, VIGIL_SMTP_HOST: 'mail', VIGIL_SMTP_PORT: '99999', VIGIL_SMTP_FROM: 'a@b' }), /VIGIL_SMTP_PORT/);
    assert.throws(() => readNotifyConfig({ VIGIL_NOTIFY_LINK_SECRET: secret, VIGIL_WEBHOOKS: 'gov=ftp://x|0123456789abcdef' }), /VIGIL_WEBHOOKS/);
    assert.throws(() => readNotifyConfig({ VIGIL_NOTIFY_LINK_SECRET: secret, VIGIL_SMPP_URL: 'smpp://gw:2775' }), /VIGIL_SMPP_SYSTEM_ID/);
    const ok = readNotifyConfig({ VIGIL_NOTIFY_LINK_SECRET: secret, VIGIL_WEBHOOKS: 'gov=https://gov.example/hook|0123456789abcdef' });
    assert.deepEqual([ok.smtp, ok.smpp, ok.mqtt, Object.keys(ok.webhooks)], [null, null, null, ['gov']]);
  });
});
