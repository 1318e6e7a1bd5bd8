import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import type pg from 'pg';
import { registerDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { validate } from '@vigil/schemas';
import { DEMO, createMqttSink, loadScenario, runScenario, scenarioTags, parseScenario, ScenarioError } from '../src/index.js';

const SECRET = 'sim-tag-secret-0123456789';
const INGEST = 'ingest-secret-0123456789';
const SCENARIO = fileURLToPath(new URL('../scenarios/evening-breaches.yaml', import.meta.url));
const silent = pino({ level: 'silent' });

let db: { close(): Promise<void> };
let pool: pg.Pool;
let broker: RunningBroker;

before(async () => {
  const d = await startEmbeddedDatabase({ port: 0 });
  pool = createPool(d.url);
  db = { close: async () => (await pool.end(), await d.close()) };
  await migrate(pool);
  for (const u of DEMO.orgUnits) await pool.query('INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ($1, $2, $3, $4, $5)', [u.id, u.parentId, u.level, u.name.en, u.name['zh-CN']]);
  await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('cc-lingyin', 'zj-hz-xh-ly', 'community', 'Lingyin', '灵隐')`);
  const scenario = loadScenario(SCENARIO);
  const ids = scenario.tags!.only!.flatMap((t) => [t, ...DEMO.subjects.filter((s) => s.tagId === t && s.victim).map((s) => s.victim!.phoneId)]);
  for (const id of ids) await registerDevice(pool, { id, siteId: 'cc-lingyin', kind: id.startsWith('phone') ? 'sensor' : 'tag', secret: SECRET });
  broker = await startBroker({ port: 0, host: '127.0.0.1', pool, services: serviceAccounts({ ingest: INGEST, analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' }), logger: silent });
});

after(async () => {
  await broker?.close();
  await db?.close();
});

interface Got {
  topic: string;
  dev: string;
  seq: number;
  ts: number;
  type: string;
  body: Record<string, unknown>;
}

/** Run the scenario file through the real broker, each tag logged in as itself; return what a subscriber got. */
async function runThroughBroker(seed: number): Promise<Got[]> {
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const sub: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: `svc-ingest-${seed}-${Date.now()}`, username: 'svc-ingest', password: INGEST });
  await sub.subscribeAsync(['vigil/v1/+/+/telemetry', 'vigil/v1/+/+/event'], { qos: 1 });
  const got: Got[] = [];
  sub.on('message', (topic, payload) => {
    const r = validate(topic, payload);
    assert.ok(r.ok, JSON.stringify(r));
    const m = r.message as unknown as Got;
    got.push({ topic, dev: m.dev, seq: m.seq, ts: m.ts, type: m.type, body: m.body });
  });
  const scenario = loadScenario(SCENARIO);
  const sink = createMqttSink({ url, secretFor: () => SECRET, seqBase: 1000, persistent: false, logger: silent });
  const run = scenarioTags(scenario, DEMO, seed, (ev) => sink.send(ev));
  await sink.connect(run.built.devices);
  await runScenario(scenario, { injectors: { tag: run.injector }, advanceTo: (t) => run.fleet.runUntil(t) });
  const sent = sink.stats().sent;
  // The broker acknowledges a publish once it is queued for its subscribers, so the last PUBACKs can come after the subscriber's copies.
  for (let i = 0; i < 1500 && (got.length < sent || sink.stats().acked < sent); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(sink.stats().errors, 0);
  assert.equal(sink.stats().acked, sent, 'every publish acknowledged');
  await sink.close();
  await sub.endAsync();
  assert.equal(got.length, sent, 'the subscriber got every message');
  return got.sort((a, b) => a.dev.localeCompare(b.dev) || a.seq - b.seq);
}

const at = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00+08:00`);

test('a scenario run through the real broker: same seed, same stream; each scripted event is there', async () => {
  const a = await runThroughBroker(7);
  const b = await runThroughBroker(7);
  assert.deepEqual(a, b, 'same seed gives the same messages (ids aside)');
  const c = await runThroughBroker(8);
  assert.notDeepEqual(
    a.filter((m) => m.type === 'tag.fix').map((m) => m.body),
    c.filter((m) => m.type === 'tag.fix').map((m) => m.body),
    'another seed gives other noise',
  );

  for (const m of a) assert.equal(m.topic, `vigil/v1/cc-lingyin/${m.dev}/${m.type === 'tag.tamper' ? 'event' : 'telemetry'}`);
  // 14:05 tag-0005 enters the school zone: a fix there at 14:05
  const school = DEMO.zones.find((z) => z.id === 'zone-school')!.ring;
  const inSchool = (m: Got) => {
    const [lon, lat] = [m.body.lon as number, m.body.lat as number];
    return lon > school[0]![0] && lon < school[2]![0] && lat > school[0]![1] && lat < school[2]![1];
  };
  const t5 = a.filter((m) => m.dev === 'tag-0005' && m.type === 'tag.fix');
  assert.ok(t5.some((m) => m.ts === at('14:05') && inSchool(m)), 'tag-0005 fixes inside the school at 14:05');
  assert.ok(!t5.some((m) => m.ts < at('14:05') && inSchool(m)), 'and not before');
  // 14:06 pursuit for 120 s at 2 s: about 60 fixes in that window
  const pursuit = t5.filter((m) => m.ts >= at('14:06') && m.ts < at('14:06') + 120_000).length;
  assert.ok(pursuit >= 59 && pursuit <= 61, `pursuit fixes: ${pursuit}`);
  // exactly the two scripted tamper messages
  assert.deepEqual(
    a.filter((m) => m.type === 'tag.tamper').map((m) => [m.dev, m.ts, m.body]),
    [
      ['tag-0004', at('14:10'), { what: 'strap', active: true }],
      ['tag-0004', at('14:25'), { what: 'strap', active: false }],
    ],
  );
  // battery drained to critical by 14:17
  const h6 = a.filter((m) => m.dev === 'tag-0006' && m.type === 'tag.health');
  assert.ok(h6.some((m) => (m.body.battery_pct as number) <= 10 && m.ts <= at('14:17') + 30_000), 'tag-0006 reports critical battery');
  assert.ok(h6.every((m) => m.body.charging === false));
  // signal loss 14:15–14:20: the fixes of that window come late (after the loss), none is lost
  const t7 = a.filter((m) => m.dev === 'tag-0007' && m.type === 'tag.fix');
  const inLoss = t7.filter((m) => m.ts >= at('14:15') && m.ts < at('14:20'));
  assert.ok(inLoss.length >= 9, `fixes kept during the loss: ${inLoss.length}`);
  // victim's phone near tag-0007 at 14:20
  const phone = a.filter((m) => m.dev === 'phone-0007');
  const near = phone.find((m) => m.ts === at('14:20'));
  assert.ok(near, 'the victim phone reports at 14:20');
  const subj = t7.filter((m) => m.ts <= at('14:20')).pop()!;
  const dM = Math.hypot(((near.body.lat as number) - (subj.body.lat as number)) * 111_000, ((near.body.lon as number) - (subj.body.lon as number)) * 96_000);
  assert.ok(dM < 300, `phone ${dM.toFixed(0)} m from the subject`);
  // 14:30 tag-0008 out after curfew: at its leisure place, far from home
  const s8 = DEMO.subjects.find((s) => s.tagId === 'tag-0008')!;
  const f8 = a.find((m) => m.dev === 'tag-0008' && m.type === 'tag.fix' && m.ts === at('14:30'))!;
  const fromHome = Math.hypot(((f8.body.lat as number) - s8.home.lat) * 111_000, ((f8.body.lon as number) - s8.home.lon) * 96_000);
  assert.ok(fromHome > 1000, `tag-0008 is ${fromHome.toFixed(0)} m from home`);
});

test('scenario errors name the line and the key', () => {
  const bad = (text: string, want: RegExp) => assert.throws(() => parseScenario(text, 'x.yaml'), (e: Error) => e instanceof ScenarioError && want.test(e.message));
  const head = 'name: t\ndate: "2026-03-02"\nstart: "14:00"\nend: "15:00"\n';
  bad(`${head}steps:\n  - at: "14:5"\n    tag: tag-0004\n    do: strap-cut\n`, /^x\.yaml:6: steps\[0\]\.at: /);
  bad(`${head}steps:\n  - at: "14:05"\n    do: strap-cut\n`, /^x\.yaml:6: steps\[0\]: name exactly one target/);
  bad(`${head}steps:\n  - at: "16:05"\n    tag: tag-0004\n    do: strap-cut\n`, /^x\.yaml:6: steps\[0\]\.at: 16:05 is outside/);
  bad(`${head}stepz: []\n`, /^x\.yaml:\d+: .*/);
  bad(`name: [\n`, /^x\.yaml:\d+: .*YAML/);
});

test('an injector refusing a step stops the run naming the line', async () => {
  const s = parseScenario('name: t\ndate: "2026-03-02"\nstart: "14:00"\nend: "14:10"\ntags: { only: [tag-0004] }\nsteps:\n  - { at: "14:01", tag: tag-0004, do: dance }\n');
  const run = scenarioTags(s, DEMO, 1, () => undefined);
  await assert.rejects(runScenario(s, { injectors: { tag: run.injector }, advanceTo: (t) => run.fleet.runUntil(t) }), /line 7: tag tag-0004 dance: .*unknown action/);
  await assert.rejects(runScenario(parseScenario('name: t\ndate: "2026-03-02"\nstart: "14:00"\nend: "14:10"\nsteps:\n  - { at: "14:01", gate: D-2, do: forced }\n'), { injectors: {}, advanceTo: async () => undefined }), /line 6: no gate simulator/);
});
