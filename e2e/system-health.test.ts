import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { deviceTopic, newMessage } from '@vigil/schemas';
import { registerDevice } from '@vigil/broker';
import { createPool } from '@vigil/ingest';
import { DEMO } from '@vigil/device-sim';
import type { Stack } from '../scripts/stack/stack.js';
import { freePort } from '../ingest/test/helpers.js';
import { addOperator, signIn, startTestStack } from './session.js';

// The command centre's system health (issue 11): the whole stack as separate
// processes; what the page shows must follow what really happens to them.
const tag = DEMO.tags[0]!;
const AGENT = { id: 'edge-e2e', secret: 'edge-e2e-secret-0123456789' };
let stack: Stack;
let run: Awaited<ReturnType<typeof startTestStack>>;
let cookie: string;

interface SystemHealth {
  command_center: { up: boolean; db: boolean; mqtt: boolean };
  services: { name: string; up: boolean; error: string | null; figures: Record<string, number> }[];
  ingest_lag: { fixes_5m: number; p50_ms: number | null };
  dead_letters_24h: { total: number; by_code: Record<string, number> };
  edge_agents: { id: string; queue_depth: number | null; dropped: number | null }[];
}

const health = async (): Promise<SystemHealth> => {
  const res = await fetch(`${stack.httpUrl}/api/system/health`, { headers: { cookie } });
  assert.equal(res.status, 200);
  return (await res.json()) as SystemHealth;
};

async function until(what: string, ok: (h: SystemHealth) => boolean, ms = 30_000): Promise<SystemHealth> {
  const end = Date.now() + ms;
  let last = await health();
  while (!ok(last)) {
    if (Date.now() > end) throw new Error(`${what}: not seen in ${ms} ms; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await health();
  }
  return last;
}

before(async () => {
  run = await startTestStack('vigil-health-', { metricsPorts: { broker: await freePort(), ingest: await freePort() } });
  stack = run.stack;
  const password = 'health operator password';
  await addOperator(stack.databaseUrl, 'health-op', password);
  const pool = createPool(stack.databaseUrl);
  try {
    await registerDevice(pool, { id: AGENT.id, siteId: tag.siteId, kind: 'agent', secret: AGENT.secret });
  } finally {
    await pool.end();
  }
  cookie = await signIn(stack.httpUrl, 'health-op', password);
});

after(() => run?.stop());

test('the health page shows services, ingest lag, dead letters and edge-agent queues, and sees ingest go down', async () => {
  const first = await health();
  assert.deepEqual(first.command_center, { up: true, db: true, mqtt: true });
  assert.deepEqual(first.services.map((s) => [s.name, s.up]), [['broker', true], ['ingest', true]]);
  // the broker counts the command centre, ingest and analytics among its clients
  assert.ok(first.services[0]!.figures.vigil_broker_connected_clients! >= 3, JSON.stringify(first.services[0]));

  const device = await mqtt.connectAsync(stack.mqttUrl, { protocolVersion: 4, clientId: tag.id, username: tag.id, password: stack.tagSecret, reconnectPeriod: 0 });
  const topic = deviceTopic(tag.siteId, tag.id, 'telemetry');
  await device.publishAsync(topic, JSON.stringify(newMessage('tag.fix', tag.id, 1, { lat: 30.24, lon: 120.1, acc_m: 5 })), { qos: 1 });
  await device.publishAsync(topic, JSON.stringify({ ...newMessage('tag.fix', tag.id, 2, { lat: 0, lon: 0, acc_m: 5 }), body: { lat: 123, lon: 0, acc_m: 5 } }), { qos: 1 });
  await device.endAsync();
  const agent = await mqtt.connectAsync(stack.mqttUrl, { protocolVersion: 4, clientId: AGENT.id, username: AGENT.id, password: AGENT.secret, reconnectPeriod: 0 });
  await agent.publishAsync(deviceTopic(tag.siteId, AGENT.id, 'status'), JSON.stringify(newMessage('agent.status', AGENT.id, 1, { online: true, queue_depth: 42, dropped: 3 })), { qos: 1, retain: true });
  await agent.endAsync();

  // the page reads the database and ingest's metrics side by side: wait until both have the dead letter
  const ingestFigures = (h: typeof first) => h.services.find((s) => s.name === 'ingest')?.figures ?? {};
  const seen = await until(
    'the fix, the dead letter and the agent status',
    (h) => h.ingest_lag.fixes_5m >= 1 && h.dead_letters_24h.total >= 1 && h.edge_agents.length >= 1 && (ingestFigures(h).vigil_ingest_dead_letters_total ?? 0) >= 1,
  );
  assert.equal(seen.ingest_lag.fixes_5m, 1);
  assert.ok(seen.ingest_lag.p50_ms !== null && seen.ingest_lag.p50_ms >= 0);
  assert.equal(seen.dead_letters_24h.total, 1);
  assert.deepEqual(seen.edge_agents.map((a) => [a.id, a.queue_depth, a.dropped]), [[AGENT.id, 42, 3]]);
  const ingest = seen.services.find((s) => s.name === 'ingest')!;
  assert.ok(ingest.figures.vigil_ingest_received_total! >= 3, JSON.stringify(ingest));
  assert.equal(ingest.figures.vigil_ingest_dead_letters_total, 1);

  // kill ingest: the page says so, naming why
  await stack.services.find((s) => s.name === 'ingest')!.stop();
  const down = await until('ingest down', (h) => h.services.some((s) => s.name === 'ingest' && !s.up));
  assert.equal(down.services.find((s) => s.name === 'ingest')!.error, 'ECONNREFUSED');
  assert.equal(down.services.find((s) => s.name === 'broker')!.up, true);
});

test('the health page needs a signed-in user', async () => {
  const res = await fetch(`${stack.httpUrl}/api/system/health`);
  assert.equal(res.status, 401);
});
