import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { registerDevice, revokeDevice, serviceAccounts, startBroker, type RunningBroker } from '@vigil/broker';
import { createLogger } from '../src/logger.js';
import { closed, collect, connectClient, grantedQos, nextMessage, startTestDatabase } from './helpers.js';

// An edge agent (kind 'agent') speaks for the devices registered behind it, and for nothing else.
const SECRETS = { ingest: 'ingest-secret-0123456789', analytics: 'analytics-secret-0123456789', commandCenter: 'cc-secret-0123456789abc' };
const AGENT = { id: 'edge-a', siteId: 'prison-a', kind: 'agent' as const, secret: 'edge-a-secret-0123456789' };
const DOOR = { id: 'door-1', siteId: 'prison-a', kind: 'gate' as const, secret: 'door-1-secret-0123456789', gatewayId: AGENT.id };
const CAM = { id: 'cam-1', siteId: 'prison-a', kind: 'camera' as const, secret: 'cam-1-secret-01234567890' };
const T = (dev: string) => `vigil/v1/prison-a/${dev}`;

let db: { pool: pg.Pool; close(): Promise<void> };
let broker: RunningBroker;
let ingest: MqttClient;
let cc: MqttClient;
const open: MqttClient[] = [];
const agent = async () => {
  const c = await connectClient(broker.port, { clientId: AGENT.id, username: AGENT.id, password: AGENT.secret, clean: false });
  open.push(c);
  return c;
};

before(async () => {
  db = await startTestDatabase();
  await registerDevice(db.pool, AGENT);
  await registerDevice(db.pool, DOOR);
  await registerDevice(db.pool, CAM);
  broker = await startBroker({ port: 0, host: '127.0.0.1', pool: db.pool, services: serviceAccounts(SECRETS), revocationPollMs: 200, logger: createLogger('test', 'silent') });
  ingest = await connectClient(broker.port, { clientId: 'svc-ingest-1', username: 'svc-ingest', password: SECRETS.ingest });
  cc = await connectClient(broker.port, { clientId: 'svc-cc-1', username: 'svc-command-center', password: SECRETS.commandCenter });
  await ingest.subscribeAsync(['vigil/v1/+/+/event', 'vigil/v1/+/+/telemetry'], { qos: 1 });
  await cc.subscribeAsync(['vigil/v1/+/+/cmd/+/res'], { qos: 1 });
});

after(async () => {
  await Promise.all([...open, ingest, cc].map((c) => c.endAsync(true)));
  await broker.close();
  await db.close();
});

test('a gateway must be an agent at the same site', async () => {
  await assert.rejects(registerDevice(db.pool, { ...CAM, id: 'cam-x', gatewayId: 'cam-1' }), /not an agent/);
  await assert.rejects(registerDevice(db.pool, { ...CAM, id: 'cam-y', siteId: 'office-b', gatewayId: AGENT.id }), /not in the same site|不在同一场所|is at site/);
  await assert.rejects(registerDevice(db.pool, { ...CAM, id: 'cam-z', gatewayId: 'no-such-agent' }), /unknown gateway/);
});

test('an agent publishes for a device behind it, takes its commands and answers them', async () => {
  const a = await agent();
  assert.deepEqual(await grantedQos(a, [`${T(DOOR.id)}/cmd/#`, `${T(AGENT.id)}/cmd/#`]), [1, 1]);
  const got = nextMessage(ingest, `${T(DOOR.id)}/event`);
  await a.publishAsync(`${T(DOOR.id)}/event`, 'door-open', { qos: 1 });
  assert.equal(await got, 'door-open');
  const cmd = nextMessage(a, `${T(DOOR.id)}/cmd/lock`);
  await cc.publishAsync(`${T(DOOR.id)}/cmd/lock`, 'lock-it', { qos: 1 });
  assert.equal(await cmd, 'lock-it');
  const res = nextMessage(cc, `${T(DOOR.id)}/cmd/lock/res`);
  await a.publishAsync(`${T(DOOR.id)}/cmd/lock/res`, 'locked', { qos: 1 });
  assert.equal(await res, 'locked');
  await a.endAsync();
});

test('an agent may not speak for a device that is not behind it, nor take all commands with a wildcard', async () => {
  const a = await agent();
  assert.deepEqual(await grantedQos(a, [`${T(CAM.id)}/cmd/#`, 'vigil/v1/prison-a/+/cmd/#', `${T(DOOR.id)}/cmd/+`]), [128, 128, 1]);
  const seen = collect(ingest);
  a.publish(`${T(CAM.id)}/telemetry`, 'spoofed', { qos: 0 });
  await closed(a);
  const door = await connectClient(broker.port, { clientId: DOOR.id, username: DOOR.id, password: DOOR.secret });
  open.push(door);
  const got = nextMessage(ingest, `${T(DOOR.id)}/event`);
  await door.publishAsync(`${T(DOOR.id)}/event`, 'after', { qos: 1 });
  assert.equal(await got, 'after');
  assert.deepEqual(seen.filter((m) => m.payload === 'spoofed'), []);
});

test('a device registered behind an online agent is usable at once; a revoked one is dropped', async () => {
  const a = await agent();
  await registerDevice(db.pool, { ...CAM, id: 'cam-2', secret: 'cam-2-secret-01234567890', gatewayId: AGENT.id });
  // the registry watch refreshes the online agent's device list within a few polls
  let granted: number[] = [];
  for (let i = 0; i < 50 && granted[0] !== 1; i++) {
    await new Promise((r) => setTimeout(r, 100));
    granted = await grantedQos(a, [`${T('cam-2')}/cmd/#`]);
  }
  assert.deepEqual(granted, [1]);
  const got = nextMessage(ingest, `${T('cam-2')}/telemetry`);
  await a.publishAsync(`${T('cam-2')}/telemetry`, 'cam-2-up', { qos: 1 });
  assert.equal(await got, 'cam-2-up');

  await revokeDevice(db.pool, 'cam-2');
  const seen = collect(a);
  await new Promise((r) => setTimeout(r, 1_000));
  // commands to the revoked device are no longer delivered, even on the old subscription
  await cc.publishAsync(`${T('cam-2')}/cmd/snapshot`, 'revoked-cmd', { qos: 1 });
  await cc.publishAsync(`${T(DOOR.id)}/cmd/lock`, 'still-door', { qos: 1 });
  if (!seen.some((m) => m.payload === 'still-door')) await nextMessage(a, `${T(DOOR.id)}/cmd/lock`);
  assert.deepEqual(seen.filter((m) => m.payload === 'revoked-cmd'), []);
  a.publish(`${T('cam-2')}/telemetry`, 'after-revoke', { qos: 0 });
  await closed(a);
});
