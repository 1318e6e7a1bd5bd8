import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { ConfigError, parseBrokerConfig, registerDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { closed, connectClient, grantedQos, refusalCode, startTestDatabase } from './helpers.js';

const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const TAG1 = { id: 'tag-1', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-1-secret-0123456789' };
const T1 = 'vigil/v1/prison-a/tag-1';

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
const open: MqttClient[] = [];

/** Scrape `/metrics` and parse the text format into `name{labels}` -> value. */
async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    values.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return values;
}

/** Scrape until `ready` holds (the broker counts some events after the client has seen them), then return that scrape. */
async function scrapeWhen(port: number, ready: (m: Map<string, number>) => boolean, ms = 15_000): Promise<Map<string, number>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await scrape(port);
    if (ready(m) || Date.now() > deadline) return m;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const get = (m: Map<string, number>, key: string): number => {
  const v = m.get(key);
  assert.notEqual(v, undefined, `metric ${key} missing`);
  return v!;
};

const connect = async (opts: object) => {
  const c = await connectClient(broker.port, opts);
  open.push(c);
  return c;
};

before(async () => {
  db = await startTestDatabase();
  await registerDevice(db.pool, TAG1);
  broker = await startBroker({ port: 0, pool: db.pool, services: serviceAccounts(SECRETS), metricsPort: 0, logger: createLogger('test', 'silent') });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await broker.close();
  await db.close();
});

test('/healthz answers ok, unknown paths 404, and a second broker in the process has its own registry', async () => {
  assert.ok(broker.metricsPort !== undefined && broker.metricsPort > 0);
  const health = await fetch(`http://127.0.0.1:${broker.metricsPort}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), 'ok\n');
  assert.equal((await fetch(`http://127.0.0.1:${broker.metricsPort}/nope`)).status, 404);
  const other = await startBroker({ port: 0, pool: db.pool, services: [], metricsPort: 0, logger: createLogger('test', 'silent') });
  try {
    const m = await scrape(other.metricsPort!);
    assert.equal(get(m, 'vigil_broker_connected_clients'), 0);
    assert.equal(get(m, 'vigil_broker_limit_disconnects_total'), 0);
  } finally {
    await other.close();
  }
});

test('messages and payload bytes in and out count by QoS; connections and in-flight deliveries are gauged', async () => {
  const before = await scrape(broker.metricsPort!);
  const delta = (m: Map<string, number>, key: string) => get(m, key) - get(before, key);
  const ingest = await connect({ clientId: 'svc-ingest-prom', username: 'svc-ingest', password: SECRETS.ingest });
  let received = 0;
  ingest.on('message', () => (received += 1));
  await ingest.subscribeAsync(`${T1}/telemetry`, { qos: 1 });
  // a subscriber that never acknowledges keeps one QoS 1 delivery in flight
  let stuck!: () => void;
  const gotStuck = new Promise<void>((resolve) => (stuck = resolve));
  const laggard = await connect({ clientId: 'svc-ingest-laggard', username: 'svc-ingest', password: SECRETS.ingest });
  // mqtt.js sends the PUBACK once handleMessage calls back; this one never does
  laggard.handleMessage = () => stuck();
  await laggard.subscribeAsync(`${T1}/event`, { qos: 1 });
  const tag = await connect({ clientId: TAG1.id, username: TAG1.id, password: TAG1.secret });
  for (let i = 0; i < 3; i++) await tag.publishAsync(`${T1}/telemetry`, '0123456789', { qos: 1 });
  for (let i = 0; i < 2; i++) await tag.publishAsync(`${T1}/telemetry`, 'abcde', { qos: 0 });
  await tag.publishAsync(`${T1}/event`, '{}', { qos: 1 });
  await gotStuck;

  const m = await scrapeWhen(broker.metricsPort!, (s) => received === 5 && delta(s, 'vigil_broker_messages_sent_total{qos="0"}') >= 2);
  assert.equal(received, 5);
  assert.equal(delta(m, 'vigil_broker_messages_received_total{qos="1"}'), 4);
  assert.equal(delta(m, 'vigil_broker_messages_received_total{qos="0"}'), 2);
  assert.equal(delta(m, 'vigil_broker_messages_received_total{qos="2"}'), 0);
  assert.equal(delta(m, 'vigil_broker_payload_bytes_received_total{qos="1"}'), 32);
  assert.equal(delta(m, 'vigil_broker_payload_bytes_received_total{qos="0"}'), 10);
  // the broker's own presence status goes to nobody here: neither subscriber reads status
  assert.equal(delta(m, 'vigil_broker_messages_sent_total{qos="1"}'), 4);
  assert.equal(delta(m, 'vigil_broker_messages_sent_total{qos="0"}'), 2);
  assert.equal(delta(m, 'vigil_broker_payload_bytes_sent_total{qos="1"}'), 32);
  assert.equal(delta(m, 'vigil_broker_payload_bytes_sent_total{qos="0"}'), 10);
  assert.equal(get(m, 'vigil_broker_connected_clients'), 3);
  assert.equal(get(m, 'vigil_broker_inflight_messages'), 1);

  await laggard.endAsync(true);
  await tag.endAsync();
  const after = await scrapeWhen(broker.metricsPort!, (s) => get(s, 'vigil_broker_connected_clients') === 1);
  assert.equal(get(after, 'vigil_broker_connected_clients'), 1);
  assert.equal(get(after, 'vigil_broker_inflight_messages'), 0);
  await ingest.endAsync();
});

test('auth failures and ACL refusals by kind (publish, subscribe, will) move by exactly one each', async () => {
  const before = await scrape(broker.metricsPort!);
  const delta = (m: Map<string, number>, key: string) => get(m, key) - get(before, key);
  assert.equal(await refusalCode(broker.port, { clientId: TAG1.id, username: TAG1.id, password: 'not-the-secret-0000' }), 4);
  const willElsewhere = { topic: 'vigil/v1/prison-a/tag-2/status', payload: Buffer.from('x'), qos: 1 as const, retain: false };
  assert.equal(await refusalCode(broker.port, { clientId: TAG1.id, username: TAG1.id, password: TAG1.secret, will: willElsewhere }), 5);
  const tag = await connect({ clientId: TAG1.id, username: TAG1.id, password: TAG1.secret });
  assert.deepEqual(await grantedQos(tag, [`${T1}/telemetry`]), [128]);
  tag.publish('vigil/v1/prison-a/tag-2/telemetry', '{}', { qos: 0 });
  await closed(tag);

  const m = await scrapeWhen(broker.metricsPort!, (s) => delta(s, 'vigil_broker_acl_refusals_total{kind="publish"}') >= 1);
  assert.equal(delta(m, 'vigil_broker_auth_failures_total'), 1);
  assert.equal(delta(m, 'vigil_broker_acl_refusals_total{kind="will"}'), 1);
  assert.equal(delta(m, 'vigil_broker_acl_refusals_total{kind="subscribe"}'), 1);
  assert.equal(delta(m, 'vigil_broker_acl_refusals_total{kind="publish"}'), 1);
  assert.equal(delta(m, 'vigil_broker_acl_refusals_total{kind="forward"}'), 0);
  assert.equal(delta(m, 'vigil_broker_limit_disconnects_total'), 0);
  // the refused publish is not a message in
  assert.equal(delta(m, 'vigil_broker_messages_received_total{qos="0"}'), 0);
});

test('VIGIL_BROKER_METRICS_PORT turns the listener on; a bad value is refused naming the variable', () => {
  const env = { DATABASE_URL: 'postgres://localhost/vigil' };
  assert.equal(parseBrokerConfig(env).metricsPort, undefined);
  assert.equal(parseBrokerConfig({ ...env, VIGIL_BROKER_METRICS_PORT: '9464' }).metricsPort, 9464);
  assert.throws(
    () => parseBrokerConfig({ ...env, VIGIL_BROKER_METRICS_PORT: 'nine' }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'VIGIL_BROKER_METRICS_PORT',
  );
});
