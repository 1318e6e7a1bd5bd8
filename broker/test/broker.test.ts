import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { registerDevice, revokeDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { closed, collect, connectClient, grantedQos, nextMessage, refusalCode, startTestDatabase } from './helpers.js';

const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const TAG1 = { id: 'tag-1', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-1-secret-0123456789' };
const TAG2 = { id: 'tag-2', siteId: 'prison-a', kind: 'tag' as const, secret: 'tag-2-secret-0123456789' };
const GONE = { id: 'tag-gone', siteId: 'office-b', kind: 'tag' as const, secret: 'tag-gone-secret-012345' };
const T1 = 'vigil/v1/prison-a/tag-1';
const T2 = 'vigil/v1/prison-a/tag-2';

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
let ingest: MqttClient;
const open: MqttClient[] = [];

const device = async (d: { id: string; secret: string }, extra: object = {}) => {
  const c = await connectClient(broker.port, { clientId: d.id, username: d.id, password: d.secret, ...extra });
  open.push(c);
  return c;
};
const service = async (username: string, password: string, clientId = `${username}-test`) => {
  const c = await connectClient(broker.port, { clientId, username, password });
  open.push(c);
  return c;
};

before(async () => {
  db = await startTestDatabase();
  for (const d of [TAG1, TAG2, GONE]) await registerDevice(db.pool, d);
  await revokeDevice(db.pool, GONE.id);
  broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    pool: db.pool,
    services: serviceAccounts(SECRETS),
    revocationPollMs: 200,
    logger: createLogger('test', 'silent'),
  });
  ingest = await service('svc-ingest', SECRETS.ingest, 'svc-ingest-1');
  await ingest.subscribeAsync(['vigil/v1/+/+/telemetry', 'vigil/v1/+/+/status'], { qos: 1 });
});

after(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)));
  await broker.close();
  await db.close();
});

test('a registered device publishes its telemetry and svc-ingest receives it', async () => {
  const tag = await device(TAG1);
  const got = nextMessage(ingest, `${T1}/telemetry`);
  await tag.publishAsync(`${T1}/telemetry`, '{"n":1}', { qos: 1 });
  assert.equal(await got, '{"n":1}');
  assert.ok(broker.metrics().connected >= 2);
  await tag.endAsync();
});

test('unknown device, wrong secret, revoked device and missing credentials get CONNACK 4', async () => {
  const before = broker.metrics().refusedAuth;
  assert.equal(await refusalCode(broker.port, { clientId: 'nobody', username: 'nobody', password: 'whatever-secret-123' }), 4);
  assert.equal(await refusalCode(broker.port, { clientId: TAG1.id, username: TAG1.id, password: 'not-the-secret-0000' }), 4);
  assert.equal(await refusalCode(broker.port, { clientId: GONE.id, username: GONE.id, password: GONE.secret }), 4);
  assert.equal(await refusalCode(broker.port, { clientId: 'anon-1' }), 4);
  assert.equal(await refusalCode(broker.port, { clientId: 'svc-x', username: 'svc-ingest', password: 'wrong-wrong-wrong-1' }), 4);
  assert.equal(await refusalCode(broker.port, { clientId: 'svc-y', username: 'svc-unknown', password: SECRETS.ingest }), 4);
  assert.equal(broker.metrics().refusedAuth - before, 6);
  // the broker is still serving after the refusals
  const tag = await device(TAG1);
  await tag.endAsync();
});

test('client ids and usernames holding + # or / are refused', async () => {
  assert.equal(await refusalCode(broker.port, { clientId: 'tag+1', username: TAG1.id, password: TAG1.secret }), 2);
  assert.equal(await refusalCode(broker.port, { clientId: 'site/tag-1', username: TAG1.id, password: TAG1.secret }), 2);
  assert.equal(await refusalCode(broker.port, { clientId: 'tag-1#', username: TAG1.id, password: TAG1.secret }), 2);
  assert.equal(await refusalCode(broker.port, { clientId: 'ok-id', username: 'tag/1', password: TAG1.secret }), 4);
});

test('a device cannot take over a client id held by another account', async () => {
  assert.equal(await refusalCode(broker.port, { clientId: 'svc-ingest-1', username: TAG2.id, password: TAG2.secret }), 2);
  // ingest kept its session and still receives
  const tag = await device(TAG2);
  const got = nextMessage(ingest, `${T2}/telemetry`);
  await tag.publishAsync(`${T2}/telemetry`, 'still-here', { qos: 1 });
  assert.equal(await got, 'still-here');
  await tag.endAsync();
});

test('a publish under another device is not forwarded, closes the connection and is counted', async () => {
  const seen = collect(ingest);
  const before = broker.metrics().refusedPublish;
  const spoofer = await device(TAG1);
  spoofer.publish(`${T2}/telemetry`, 'spoofed', { qos: 0 });
  await closed(spoofer);
  // a legitimate message published after the spoof arrives; the spoof, sent first, never did
  const honest = await device(TAG2);
  const got = nextMessage(ingest, `${T2}/telemetry`);
  await honest.publishAsync(`${T2}/telemetry`, 'honest', { qos: 1 });
  assert.equal(await got, 'honest');
  assert.deepEqual(seen.filter((m) => m.payload === 'spoofed'), []);
  assert.equal(broker.metrics().refusedPublish - before, 1);
  await honest.endAsync();
});

test('$SYS is never writable by a client', async () => {
  const before = broker.metrics().refusedPublish;
  const tag = await device(TAG1);
  tag.publish('$SYS/fake/heartbeat', 'x', { qos: 0 });
  await closed(tag);
  assert.equal(broker.metrics().refusedPublish - before, 1);
});

test('a device gets 128 for another device’s commands or #, and receives only its own commands', async () => {
  const before = broker.metrics().refusedSubscribe;
  const tag = await device(TAG1);
  assert.deepEqual(await grantedQos(tag, [`${T2}/cmd/#`, '#', 'vigil/v1/+/+/cmd/#', `${T1}/cmd/#`]), [128, 128, 128, 1]);
  assert.equal(broker.metrics().refusedSubscribe - before, 3);
  const seen = collect(tag);
  const cc = await service('svc-command-center', SECRETS.commandCenter);
  await cc.publishAsync(`${T2}/cmd/locate`, 'for-tag-2', { qos: 1 });
  await cc.publishAsync(`${T1}/cmd/locate`, 'for-tag-1', { qos: 1 });
  // wait for the later message, then check the earlier one never came
  if (!seen.some((m) => m.payload === 'for-tag-1')) assert.equal(await nextMessage(tag, `${T1}/cmd/locate`), 'for-tag-1');
  assert.deepEqual(seen.map((m) => m.payload), ['for-tag-1']);
  await Promise.all([tag.endAsync(), cc.endAsync()]);
});

test('service accounts are held to their rights: svc-ingest cannot publish or read commands', async () => {
  const svc = await service('svc-ingest', SECRETS.ingest, 'svc-ingest-2');
  assert.deepEqual(await grantedQos(svc, ['vigil/v1/+/+/cmd/#', 'vigil/v1/+/+/event']), [128, 1]);
  const before = broker.metrics().refusedPublish;
  svc.publish('vigil/v1/prison-a/alerts', '{}', { qos: 0 });
  await closed(svc);
  assert.equal(broker.metrics().refusedPublish - before, 1);
  const analytics = await service('svc-analytics', SECRETS.analytics);
  const cc = await service('svc-command-center', SECRETS.commandCenter);
  await cc.subscribeAsync('vigil/v1/+/alerts', { qos: 1 });
  const got = nextMessage(cc, 'vigil/v1/prison-a/alerts');
  await analytics.publishAsync('vigil/v1/prison-a/alerts', '{"a":1}', { qos: 1 });
  assert.equal(await got, '{"a":1}');
  analytics.publish(`${T1}/cmd/reboot`, 'x', { qos: 0 });
  await closed(analytics);
  await cc.endAsync();
});

test('a will on a topic the device may not publish refuses the CONNECT; its own status will is accepted', async () => {
  const will = (topic: string) => ({ clientId: TAG1.id, username: TAG1.id, password: TAG1.secret, will: { topic, payload: Buffer.from('offline'), qos: 1 as const, retain: true } });
  assert.equal(await refusalCode(broker.port, will(`${T2}/status`)), 5);
  assert.equal(await refusalCode(broker.port, will('$SYS/x')), 5);
  // the broker also publishes JSON presence statuses on this topic (presence.ts); the will is the one that is not JSON
  const got = new Promise<string>((resolve) => {
    const onMessage = (t: string, p: Buffer) => {
      if (t !== `${T1}/status` || p.toString().startsWith('{')) return;
      ingest.off('message', onMessage);
      resolve(p.toString());
    };
    ingest.on('message', onMessage);
  });
  const tag = await connectClient(broker.port, will(`${T1}/status`));
  tag.stream.destroy(); // an unclean drop fires the will
  assert.equal(await got, 'offline');
});

test('a device revoked while online is disconnected and cannot come back', async () => {
  const extra = { id: 'tag-3', siteId: 'office-b', kind: 'tag' as const, secret: 'tag-3-secret-0123456789' };
  await registerDevice(db.pool, extra);
  const tag = await device(extra);
  await revokeDevice(db.pool, extra.id);
  await closed(tag, 5_000);
  assert.equal(await refusalCode(broker.port, { clientId: extra.id, username: extra.id, password: extra.secret }), 4);
});

test('allowAnonymous lets a client without credentials in, warns loudly, and still guards $SYS', async () => {
  let logged = '';
  const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => ((logged += chunk.toString()), cb()) });
  const dev = await startBroker({ port: 0, pool: db.pool, services: [], allowAnonymous: true, logger: pino({ level: 'warn' }, sink) });
  try {
    assert.match(logged, /ANONYMOUS MQTT ACCESS IS ENABLED/);
    const anon = await connectClient(dev.port, { clientId: 'anon-dev' });
    const got = nextMessage(anon, `${T1}/telemetry`);
    await anon.subscribeAsync(`${T1}/telemetry`, { qos: 1 });
    await anon.publishAsync(`${T1}/telemetry`, 'dev-mode', { qos: 1 });
    assert.equal(await got, 'dev-mode');
    anon.publish('$SYS/x', 'y', { qos: 0 });
    await closed(anon);
    assert.equal(dev.metrics().refusedPublish, 1);
    // credentials, when given, are still checked
    assert.equal(await refusalCode(dev.port, { clientId: 'x1', username: TAG1.id, password: 'wrong-secret-000000' }), 4);
  } finally {
    await dev.close();
  }
});
