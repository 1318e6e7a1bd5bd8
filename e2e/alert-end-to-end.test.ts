import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { check, deviceTopic, newMessage, Alert } from '@vigil/schemas';
import { createPool } from '@vigil/ingest';
import { DEMO } from '@vigil/device-sim';
import type { Stack } from '../scripts/stack/stack.js';
import { addOperator, signIn, startTestStack } from './session.js';
import { readSse } from './sse.js';

const tag = DEMO.tags[0]!;
const school = DEMO.zones.find((z) => z.id === 'zone-school')!;
const [lon, lat] = [(school.ring[0]![0] + school.ring[2]![0]) / 2, (school.ring[0]![1] + school.ring[2]![1]) / 2];
let stack: Stack;
let run: Awaited<ReturnType<typeof startTestStack>>;
/** The session cookie of an operator at the top of the demo tree (the API needs a signed-in user). */
let cookie: string;
/** Every line the services printed (JSON logs), by service. */
let lines: { name: string; line: string }[];

before(async () => {
  run = await startTestStack('vigil-e2e-');
  ({ stack, lines } = run);
  const password = 'e2e operator password';
  await addOperator(stack.databaseUrl, 'e2e-operator', password);
  cookie = await signIn(stack.httpUrl, 'e2e-operator', password);
});

after(() => run?.stop());

test('a breaching fix from a real device becomes an alert in the API and the live stream', async () => {
  const stream = await readSse(`${stack.httpUrl}/api/alerts/stream`, { cookie });
  const device = await mqtt.connectAsync(stack.mqttUrl, { protocolVersion: 4, clientId: tag.id, username: tag.id, password: stack.tagSecret, reconnectPeriod: 0 });
  const topic = deviceTopic(tag.siteId, tag.id, 'telemetry');
  const outside = newMessage('tag.fix', tag.id, 1, { lat: lat - 0.01, lon, acc_m: 5 });
  const inside = newMessage('tag.fix', tag.id, 2, { lat, lon, acc_m: 5 });
  const invalid = { ...newMessage('tag.fix', tag.id, 3, { lat: 0, lon: 0, acc_m: 5 }), body: { lat: 123, lon, acc_m: 5 } };
  await device.publishAsync(topic, JSON.stringify(outside), { qos: 1 });
  await device.publishAsync(topic, JSON.stringify(invalid), { qos: 1 });
  await device.publishAsync(topic, JSON.stringify(inside), { qos: 1 });
  await device.publishAsync(topic, JSON.stringify(inside), { qos: 1 }); // a duplicate, as QoS 1 redelivery would make
  await device.endAsync();

  const event = await stream.next('alert', 30_000);
  stream.close();
  const alert = JSON.parse(event) as unknown;
  const checked = check(Alert, alert);
  assert.ok(checked.ok, JSON.stringify(checked));
  const a = checked.value;
  assert.equal(a.dev, tag.id);
  assert.equal(a.site, tag.siteId);
  assert.equal(a.rule, 'zone.exclusion');
  assert.equal(a.state, 'raised');
  assert.deepEqual(a.evidence.fixes?.map((f) => f.msg_id), [inside.id]);
  assert.match(a.title['zh-CN'], /灵隐小学/);

  const res = await fetch(`${stack.httpUrl}/api/alerts`, { headers: { cookie } });
  assert.equal(res.status, 200);
  const { alerts } = (await res.json()) as { alerts: Array<{ id: string }> };
  assert.deepEqual(alerts.map((x) => x.id), [a.id]);

  const pool = createPool(stack.databaseUrl);
  try {
    const waitFor = async (sql: string, want: number) => {
      for (let i = 0; i < 100; i++) {
        const n = Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
        if (n >= want) return n;
        await new Promise((r) => setTimeout(r, 100));
      }
      return Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
    };
    assert.equal(await waitFor(`SELECT count(*) AS n FROM tag_fixes WHERE device_id = '${tag.id}'`, 2), 2, 'two fixes stored, the duplicate once');
    assert.equal(await waitFor(`SELECT count(*) AS n FROM dead_letters WHERE field = '/body/lat'`, 1), 1, 'the invalid fix is dead-lettered with its field');
  } finally {
    await pool.end();
  }

  // The envelope id follows the message from the device to the alert: stored once, cited by the alert,
  // in the analytics log line that raised it; the invalid one is found in the dead letters with its reason.
  const trace = await fetch(`${stack.httpUrl}/api/trace/${inside.id}`, { headers: { cookie } });
  assert.equal(trace.status, 200);
  const t = (await trace.json()) as { stored: { table: string; device: string }[]; alerts: { id: string }[] };
  assert.deepEqual(t.stored.map((s) => [s.table, s.device]), [['tag_fixes', tag.id]]);
  assert.deepEqual(t.alerts.map((x) => x.id), [a.id]);
  const raisedLine = lines.find((l) => l.name === 'analytics' && l.line.includes(inside.id) && l.line.includes(a.id));
  assert.ok(raisedLine, 'the analytics log names the message that raised the alert');
  const deadTrace = (await (await fetch(`${stack.httpUrl}/api/trace/${invalid.id}`, { headers: { cookie } })).json()) as { stored: unknown[]; dead_letters: { field: string }[] };
  assert.deepEqual(deadTrace.stored, []);
  assert.deepEqual(deadTrace.dead_letters.map((d) => d.field), ['/body/lat']);
  const unknown = await fetch(`${stack.httpUrl}/api/trace/${newMessage('tag.fix', tag.id, 9, { lat, lon, acc_m: 5 }).id}`, { headers: { cookie } });
  assert.equal(unknown.status, 404);
});

test('an unknown device and a wrong secret are refused by the broker', async () => {
  const refused = async (username: string, password: string) => {
    const err = await mqtt
      .connectAsync(stack.mqttUrl, { protocolVersion: 4, clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 5000 })
      .then(async (c) => {
        await c.endAsync();
        return null;
      })
      .catch((e: Error & { code?: number }) => e);
    assert.ok(err, `${username} was let in`);
    assert.equal(err.code, 4, `CONNACK return code for ${username}: ${err.message}`);
  };
  await refused('tag-9999', stack.tagSecret);
  await refused(tag.id, 'not-the-secret');
  // …and the real secret still works, so the refusals above were about the credentials.
  const ok = await mqtt.connectAsync(stack.mqttUrl, { protocolVersion: 4, clientId: tag.id, username: tag.id, password: stack.tagSecret, reconnectPeriod: 0 });
  await ok.endAsync();
});

test("the demo office's officers can sign in and see only their own caseload, with the devices they wear", async () => {
  assert.ok(stack.demoPeople.officerPassword, 'a fresh stack creates the demo officers and shows their password once');
  const officer = DEMO.officers[0]!;
  const officerCookie = await signIn(stack.httpUrl, officer.id, stack.demoPeople.officerPassword);
  const res = await fetch(`${stack.httpUrl}/api/subjects`, { headers: { cookie: officerCookie } });
  assert.equal(res.status, 200);
  const { subjects } = (await res.json()) as { subjects: { id: string; officer: string; devices: string[] }[] };
  assert.deepEqual(subjects.map((s) => s.id).sort(), [...officer.subjectIds].sort());
  assert.ok(subjects.every((s) => s.officer === officer.id && s.devices.length >= 1), JSON.stringify(subjects));
  // the operator at the top of the tree sees every subject of the demo
  const all = (await (await fetch(`${stack.httpUrl}/api/subjects`, { headers: { cookie } })).json()) as { subjects: unknown[] };
  assert.equal(all.subjects.length, DEMO.officers.reduce((n, o) => n + o.subjectIds.length, 0));
});
