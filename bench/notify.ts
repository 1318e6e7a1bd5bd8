/**
 * `npm run bench:notify`: notifications measured against real servers of each
 * channel's protocol, all on this machine (SMTP: smtp-server; SMPP: the smpp
 * package's server as the SMSC; HTTP webhook receiver; MQTT: @vigil/broker;
 * in-app: a listener), with the embedded database.
 *
 * 1. Delay from the alert to each channel's server (p50, p99): alerts for
 *    distinct officers at VIGIL_BENCH_RATE per second, VIGIL_BENCH_ALERTS of
 *    them (default 200, 20/s), each routed, stored in the outbox and sent.
 *    Reference, in the same run: the bare channel `send()` of the same
 *    messages to the same servers (no routing, no outbox); printed as a ratio.
 * 2. A storm: VIGIL_BENCH_STORM alerts (default 1 000) spread over
 *    VIGIL_BENCH_STORM_MS (default 60 000) at one site, 5 kinds, 20 subjects;
 *    each goes to the subject's officer (e-mail, SMS, in-app), to the on-duty
 *    operator who gets every alert (SMS, in-app), and to a webhook. Prints the
 *    messages sent per channel, the most any one phone got in any 60 s, the
 *    routing rate, and that every alert was accounted for.
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { connectAsync } from 'mqtt';
import type { Pool } from 'pg';
import { startBroker } from '@vigil/broker';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { newId, type Alert } from '@vigil/schemas';
import {
  createEmailChannel,
  createInAppChannel,
  createMqttChannel,
  createNotifier,
  createSmppChannel,
  createWebhookChannel,
  type Channel,
  type OutgoingMessage,
} from '../command-center/src/notifications/index.js';
import { startSmsc, startSmtpServer } from '../command-center/test/notify-servers.js';
import { createLogger } from '../command-center/src/logger.js';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}
const ALERTS = intSetting('VIGIL_BENCH_ALERTS', 200);
const RATE = intSetting('VIGIL_BENCH_RATE', 20);
const STORM = intSetting('VIGIL_BENCH_STORM', 1000);
const STORM_MS = intSetting('VIGIL_BENCH_STORM_MS', 60_000);
const out = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const db = await startEmbeddedDatabase({ port: 0 });
const pool: Pool = createPool(db.url);
await migrate(pool);
const log = createLogger('bench-notify', 'error');

// --- the world: one site, officers with contacts, subjects, an operator on duty
const OFFICERS = Math.max(ALERTS, 20);
await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('moj', 1, 'Ministry', '司法部')`);
await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('prison-a', 'moj', 'prison', 'Prison A', '甲监狱')`);
await pool.query(
  `INSERT INTO users (id, username, display_name, role, org_unit_id, password_hash)
   SELECT 'o' || i, 'o' || i, 'Officer ' || i, 'officer', 'moj', 'x' FROM generate_series(1, $1) i`,
  [OFFICERS],
);
await pool.query(
  `INSERT INTO notification_contacts (user_id, lang, email, phone)
   SELECT 'o' || i, CASE WHEN i % 2 = 0 THEN 'en' ELSE 'zh-CN' END, 'o' || i || '@example.org', (13800000000 + i)::text FROM generate_series(1, $1) i`,
  [OFFICERS],
);
await pool.query(`INSERT INTO subjects (id, site_id, ref, display_name, officer_id) SELECT 'p' || i, 'prison-a', 'R' || i, 'S' || i, 'o' || i FROM generate_series(1, $1) i`, [OFFICERS]);
await pool.query(`INSERT INTO users (id, username, display_name, role, org_unit_id, password_hash) VALUES ('duty', 'duty', 'On duty', 'operator', 'moj', 'x')`);
await pool.query(`INSERT INTO notification_contacts (user_id, lang, email, phone) VALUES ('duty', 'zh-CN', 'duty@example.org', '13900000000')`);
await pool.query(`INSERT INTO on_duty_roster (site_id, user_id, starts_at, ends_at) VALUES ('prison-a', 'duty', now() - interval '1 hour', now() + interval '1 day')`);

// --- the servers
const smtp = await startSmtpServer();
const smsc = await startSmsc({ systemId: 'vigil', password: 'pw' });
const hookHits: { body: string; at: number }[] = [];
const hook = createHttpServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    hookHits.push({ body, at: Date.now() });
    res.writeHead(204).end();
  });
});
hook.listen(0, '127.0.0.1');
await once(hook, 'listening');
const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
const broker = await startBroker({ port: 0, host: '127.0.0.1', pool, services: [], allowAnonymous: true, revocationPollMs: 0, logger: createLogger('bench-broker', 'error') });
const mqttUrl = `mqtt://127.0.0.1:${broker.port}`;
const tags = await connectAsync(mqttUrl, { protocolVersion: 4, clientId: 'bench-tags', reconnectPeriod: 0 });
const mqttHits: { body: string; at: number }[] = [];
tags.on('message', (_t, p) => mqttHits.push({ body: p.toString(), at: Date.now() }));
await tags.subscribeAsync('vigil/v1/+/+/cmd/notify', { qos: 1 });
const inAppHits: { alerts: string[]; at: number }[] = [];

function channels(): { list: Channel[]; inApp: ReturnType<typeof createInAppChannel>; sms: ReturnType<typeof createSmppChannel> } {
  const inApp = createInAppChannel();
  const sms = createSmppChannel({ url: `smpp://127.0.0.1:${smsc.port}`, systemId: 'vigil', password: 'pw', sourceAddr: '10690001' });
  return {
    inApp,
    sms,
    list: [
      createEmailChannel({ host: '127.0.0.1', port: smtp.port, ignoreTls: true, from: 'vigil@example.org', maxConnections: 4 }),
      sms,
      createWebhookChannel({ gov: { url: hookUrl, secret: 'bench-secret' } }),
      createMqttChannel({ url: mqttUrl }),
      inApp,
    ],
  };
}

/** When each server received the message about each alert: channel -> alert id -> ms. */
function receipts(alertOfAddress: Map<string, string>): Record<string, Map<string, number>> {
  const r: Record<string, Map<string, number>> = { email: new Map(), sms: new Map(), webhook: new Map(), mqtt: new Map(), 'in-app': new Map() };
  for (const m of smtp.mails) {
    const a = alertOfAddress.get((m.to as { text: string }).text);
    if (a && !r.email!.has(a)) r.email!.set(a, m.receivedAt);
  }
  for (const s of smsc.sms) {
    const a = alertOfAddress.get(s.to);
    if (a && !r.sms!.has(a)) r.sms!.set(a, s.receivedAt);
  }
  for (const h of hookHits) for (const x of (JSON.parse(h.body) as { alerts: { id: string }[] }).alerts) if (!r.webhook!.has(x.id)) r.webhook!.set(x.id, h.at);
  for (const h of mqttHits) for (const id of (JSON.parse(h.body) as { args: { alerts: string[] } }).args.alerts) if (!r.mqtt!.has(id)) r.mqtt!.set(id, h.at);
  for (const h of inAppHits) for (const id of h.alerts) if (!r['in-app']!.has(id)) r['in-app']!.set(id, h.at);
  return r;
}

function clearHits(): void {
  smtp.mails.length = 0;
  smsc.sms.length = 0;
  hookHits.length = 0;
  mqttHits.length = 0;
  inAppHits.length = 0;
}

function alertFor(i: number, over: Partial<Alert> = {}): Alert {
  const now = Date.now();
  return {
    v: 1,
    id: newId(),
    rule: 'zone.exclusion',
    key: `bench:${i}:${now}:${Math.random()}`,
    severity: 'high',
    state: 'raised',
    site: 'prison-a',
    dev: `tag-${i}`,
    subject: `p${i}`,
    title: { en: 'Exclusion zone entered: perimeter fence', 'zh-CN': '进入禁区：围墙周界' },
    raised_ts: now,
    last_ts: now,
    count: 1,
    evidence: {},
    acked: false,
    ...over,
  };
}

async function storeAlert(a: Alert): Promise<void> {
  await pool.query(
    `INSERT INTO alerts (id, key, rule, severity, state, site_id, device_id, subject_id, title_en, title_zh, raised_at, last_at, count, evidence)
     VALUES ($1, $2, $3, $4, 'raised', $5, $6, $7, $8, $9, to_timestamp($10 / 1000.0), to_timestamp($10 / 1000.0), 1, '{}')`,
    [a.id, a.key, a.rule, a.severity, a.site, a.dev, a.subject, a.title.en, a.title['zh-CN'], a.raised_ts],
  );
}

async function setPolicy(recipients: unknown[], chans: string[]): Promise<void> {
  await pool.query('DELETE FROM notification_policies');
  await pool.query(`INSERT INTO notification_policies (id, name_en, name_zh, site_id, recipients, channels) VALUES ('bench', 'bench', 'bench', 'prison-a', $1, $2)`, [JSON.stringify(recipients), chans]);
}

const CHANNELS = ['email', 'sms', 'webhook', 'mqtt', 'in-app'] as const;

// --- 1. delay per channel, through routing and the outbox
progress(`delay: ${ALERTS} alerts at ${RATE}/s, each to its own officer on ${CHANNELS.join(', ')}`);
await setPolicy([{ kind: 'officer' }, { kind: 'webhook', name: 'gov' }, { kind: 'device' }], [...CHANNELS]);
let ch = channels();
for (let i = 1; i <= OFFICERS; i++) ch.inApp.subscribe(`o${i}`, (e) => inAppHits.push({ alerts: e.alerts.map((x) => x.id), at: Date.now() }));
const links = { baseUrl: 'https://vigil.example', secret: randomBytes(32) };
let notifier = createNotifier({ pool, channels: ch.list, links, pollMs: 500, sweepMs: 0, logger: log, concurrency: 16 });
await ch.sms.whenBound();
notifier.start();
await sleep(500);
const raisedAt = new Map<string, number>();
const alertOfAddress = new Map<string, string>();
const batch: Alert[] = [];
const delayStart = Date.now() + 1000;
for (let i = 1; i <= ALERTS; i++) batch.push(alertFor(i));
for (const a of batch) await storeAlert(a);
for (let i = 0; i < batch.length; i++) {
  const a = batch[i]!;
  const n = i + 1;
  alertOfAddress.set(`o${n}@example.org`, a.id);
  alertOfAddress.set(String(13800000000 + n), a.id);
  const t = delayStart + i * (1000 / RATE) - Date.now();
  if (t > 0) await sleep(t);
  raisedAt.set(a.id, Date.now());
  void notifier.route({ ...a, raised_ts: Date.now() });
}
const deadline = Date.now() + 30_000;
let full = receipts(alertOfAddress);
while (CHANNELS.some((c) => full[c]!.size < ALERTS) && Date.now() < deadline) {
  await sleep(200);
  full = receipts(alertOfAddress);
}
await notifier.stop();
const fullDelay: Record<string, number[]> = {};
for (const c of CHANNELS) fullDelay[c] = [...full[c]!].map(([id, at]) => at - raisedAt.get(id)!);

// --- reference: the bare channel send of the same messages, same servers, same pace
progress('reference: bare channel send() of the same messages');
clearHits();
ch = channels();
for (let i = 1; i <= OFFICERS; i++) ch.inApp.subscribe(`o${i}`, (e) => inAppHits.push({ alerts: e.alerts.map((x) => x.id), at: Date.now() }));
await ch.sms.whenBound();
await sleep(500);
const bareStart = new Map<string, number>();
const t0 = Date.now();
const sends: Promise<unknown>[] = [];
for (let i = 0; i < batch.length; i++) {
  const a = batch[i]!;
  const n = i + 1;
  const t = i * (1000 / RATE) - (Date.now() - t0);
  if (t > 0) await sleep(t);
  bareStart.set(a.id, Date.now());
  const summary = { id: a.id, rule: a.rule, severity: a.severity, site: a.site, dev: a.dev, subject: a.subject!, title: a.title, raised_ts: Date.now() };
  const base: Omit<OutgoingMessage, 'channel' | 'address'> = { id: newId(), kind: 'single', userId: `o${n}`, lang: 'zh-CN', subject: a.title['zh-CN'], text: `【Vigil】高 ${a.title['zh-CN']}，prison-a p${n}。回复1234确认。 https://vigil.example/m/AAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB`, body: a.title['zh-CN'], alerts: [summary] };
  const addr: Record<(typeof CHANNELS)[number], string> = { email: `o${n}@example.org`, sms: String(13800000000 + n), webhook: 'gov', mqtt: `prison-a/tag-${n}`, 'in-app': `o${n}` };
  for (const c of ch.list) sends.push(c.send({ ...base, id: newId(), channel: c.name, address: addr[c.name], ...(c.name === 'mqtt' ? { extra: { vibrate: true } } : {}) }, AbortSignal.timeout(10_000)).catch(() => undefined));
}
await Promise.all(sends);
await sleep(500);
const bare = receipts(alertOfAddress);
await Promise.all(ch.list.map((c) => c.close()));
const bareDelay: Record<string, number[]> = {};
for (const c of CHANNELS) bareDelay[c] = [...bare[c]!].map(([id, at]) => at - bareStart.get(id)!);

out('');
out(`Delivery delay, alert -> the channel's server (${ALERTS} alerts at ${RATE}/s, embedded DB, this machine)`);
out('channel   received   p50 ms   p99 ms   bare p50   bare p99   ratio p50   ratio p99');
for (const c of CHANNELS) {
  const f = fullDelay[c]!;
  const b = bareDelay[c]!;
  const r = (x: number, y: number) => (y > 0 ? (x / y).toFixed(1) : 'n/a');
  out(
    `${c.padEnd(9)} ${String(f.length).padStart(8)}  ${pct(f, 50).toFixed(0).padStart(7)}  ${pct(f, 99).toFixed(0).padStart(7)}  ${pct(b, 50).toFixed(1).padStart(9)}  ${pct(b, 99).toFixed(1).padStart(9)}  ${r(pct(f, 50), pct(b, 50)).padStart(10)}  ${r(pct(f, 99), pct(b, 99)).padStart(10)}`,
  );
}

// --- 2. storm
progress(`storm: ${STORM} alerts over ${STORM_MS} ms`);
clearHits();
await setPolicy([{ kind: 'officer' }, { kind: 'on_duty' }, { kind: 'webhook', name: 'gov' }], ['email', 'sms', 'in-app', 'webhook']);
ch = channels();
ch.inApp.subscribe('duty', (e) => inAppHits.push({ alerts: e.alerts.map((x) => x.id), at: Date.now() }));
notifier = createNotifier({ pool, channels: ch.list, links, pollMs: 500, sweepMs: 0, logger: log, concurrency: 16 });
await ch.sms.whenBound();
notifier.start();
const kinds = ['zone.exclusion', 'tag.tamper', 'battery.low', 'signal.lost', 'curfew.late'];
const stormIds: string[] = [];
const stormStart = Date.now();
let routeMs = 0;
for (let i = 0; i < STORM; i++) {
  const a = alertFor((i % 20) + 1, { rule: kinds[i % kinds.length]!, severity: i % 50 === 0 ? 'critical' : 'high' });
  await storeAlert(a);
  stormIds.push(a.id);
  const t = (i * STORM_MS) / STORM - (Date.now() - stormStart);
  if (t > 0) await sleep(t);
  const r0 = performance.now();
  await notifier.route({ ...a, raised_ts: Date.now() });
  routeMs += performance.now() - r0;
}
const raisedFor = Date.now() - stormStart;
// Let the last groups and digests fall due (the rate window is a minute).
const stormDeadline = Date.now() + 75_000;
for (;;) {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE state IN ('pending', 'retry', 'sending')`);
  if (rows[0]!.n === 0 || Date.now() > stormDeadline) break;
  await sleep(500);
}
await notifier.stop();
const { rows: byChannel } = await pool.query<{ channel: string; kind: string; n: number }>(
  `SELECT n.channel, n.kind, count(*)::int AS n FROM notifications n WHERE n.id IN (SELECT notification_id FROM notification_alerts WHERE alert_id = ANY($1)) GROUP BY 1, 2 ORDER BY 1, 2`,
  [stormIds],
);
const { rows: left } = await pool.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM notifications WHERE id IN (SELECT notification_id FROM notification_alerts WHERE alert_id = ANY($1)) AND state NOT IN ('sent', 'delivered', 'read')`,
  [stormIds],
);
const { rows: dutyCovered } = await pool.query<{ n: number }>(`SELECT count(DISTINCT alert_id)::int AS n FROM notification_alerts WHERE alert_id = ANY($1) AND address = '13900000000'`, [stormIds]);
const dutySms = smsc.sms.filter((s) => s.to === '13900000000').map((s) => s.receivedAt).sort((a, b) => a - b);
let maxIn60 = 0;
for (let i = 0, j = 0; i < dutySms.length; i++) {
  while (dutySms[i]! - dutySms[j]! >= 60_000) j++;
  maxIn60 = Math.max(maxIn60, i - j + 1);
}
const perOfficer = new Map<string, number>();
for (const s of smsc.sms) if (s.to !== '13900000000') perOfficer.set(s.to, (perOfficer.get(s.to) ?? 0) + 1);

out('');
out(`Storm: ${STORM} alerts in ${(raisedFor / 1000).toFixed(1)} s (5 kinds, 20 subjects, 2 % critical); officer + on-duty operator + webhook`);
out(`routing: ${(routeMs / STORM).toFixed(1)} ms per alert on average (${((STORM / routeMs) * 1000).toFixed(0)} alerts/s of routing capacity)`);
for (const r of byChannel) out(`  ${r.channel.padEnd(8)} ${r.kind.padEnd(7)} ${String(r.n).padStart(5)} messages`);
out(`on-duty operator: ${dutySms.length} SMS for ${dutyCovered[0]!.n} of ${STORM} alerts; at most ${maxIn60} SMS in any 60 s`);
out(`officers: ${Math.max(0, ...perOfficer.values())} SMS at most per officer (each had ${STORM / 20} alerts)`);
out(`webhook: ${hookHits.length} requests; left unsent at the end: ${left[0]!.n}`);

await tags.endAsync();
await broker.close();
hook.close();
await smsc.close();
await smtp.close();
await pool.end();
await db.close();
