import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { connect, type MqttClient } from 'mqtt';
import { createPool, migrate, startEmbeddedDatabase } from '@vigil/ingest';
import { connectClient, freePort } from './helpers.js';

// Issue 11: a broker SIGKILLed under QoS 1 load must lose no message it acknowledged. The real broker
// (src/main.ts) in its own process, publishers on real MQTT connections, a persistent-session subscriber
// (svc-ingest, as ingest) too slow to keep up; kill, restart on the same file, and the subscriber must
// get every acknowledged message (QoS 1 may repeat one: counted by unique id). The same run with
// memory persistence must lose some, or the test proves nothing.
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const INGEST_SECRET = 'durable-kill-ingest-secret-0123';
const SUB = { clientId: 'vigil-ingest-kill-test', username: 'svc-ingest', password: INGEST_SECRET, clean: false };
const FILTER = 'vigil/v1/+/+/telemetry';
const PUBLISHERS = 10;
const WINDOW = 4; // unacknowledged publishes per publisher: keeps the backlog well under the 65 535 packet ids of one session
const LOAD_MS = 2_000;

let db: { url: string; close(): Promise<void> };
let dir: string;
before(async () => {
  db = await startEmbeddedDatabase({ port: 0 });
  const pool = createPool(db.url);
  await migrate(pool);
  await pool.end();
  dir = mkdtempSync(join(tmpdir(), 'vigil-durable-kill-'));
});
after(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});


/** The broker as deployed: one node process (no tsx wrapper, so SIGKILL kills the broker itself). */
async function startBroker(port: number, persistence: string): Promise<ChildProcess> {
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: db.url,
    VIGIL_MQTT_PORT: String(port),
    VIGIL_MQTT_ALLOW_ANONYMOUS: 'true',
    VIGIL_INGEST_MQTT_SECRET: INGEST_SECRET,
    VIGIL_BROKER_PERSISTENCE: persistence,
    VIGIL_MQTT_MAX_CONN_PER_IP_PER_SEC: '100000',
    VIGIL_MQTT_MAX_MSGS_PER_SEC: '100000',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ready in 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('VIGIL_BROKER_READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited ${code}: ${err}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Unique ids and total count of what a client got; `delayMs` holds each PUBACK back (a slow consumer). */
function receive(client: MqttClient, seen: Set<string>, delayMs: number): { count: number } {
  const stats = { count: 0 };
  const handle = client.handleMessage.bind(client);
  client.handleMessage = (packet, done) => {
    stats.count++;
    seen.add(JSON.parse(packet.payload.toString()).id as string);
    if (delayMs > 0) setTimeout(() => handle(packet, done), delayMs);
    else handle(packet, done);
  };
  return stats;
}

/** Publish QoS 1 from `PUBLISHERS` anonymous clients until stopped; returns the ids whose PUBACK came. */
async function load(port: number, run: string) {
  const acked = new Set<string>();
  let stopped = false;
  let sent = 0;
  // reconnecting: as the tags, they keep publishing while the broker is down (mqtt.js queues) and resend unacknowledged publishes
  const pubs = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => connectClient(port, { clientId: `${run}-pub-${i}`, reconnectPeriod: 100 })));
  const loops = pubs.map(async (c, i) => {
    const one = async () => {
      while (!stopped) {
        const id = `${run}-${i}-${sent++}`;
        try {
          await c.publishAsync(`vigil/v1/site-a/dev-${i}/telemetry`, JSON.stringify({ id, pad: 'x'.repeat(80) }), { qos: 1 });
        } catch {
          return; // stopped: unacknowledged, not counted
        }
        acked.add(id);
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, one));
  });
  return {
    acked,
    sent: () => sent,
    /** Stop publishing and drop the connections (what is unacknowledged by then is not counted). */
    async stop() {
      stopped = true;
      pubs.forEach((c) => c.end(true));
      await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 2_000))]);
    },
  };
}

/** Load with a slow persistent subscriber, SIGKILL the broker mid-load, restart it, drain the session. */
async function killUnderLoad(persistence: string, run: string) {
  const port = await freePort();
  let broker = await startBroker(port, persistence);
  const seen = new Set<string>();
  try {
    const sub = await connectClient(port, SUB);
    await sub.subscribeAsync(FILTER, { qos: 1 });
    const before = receive(sub, seen, 2);
    const pubs = await load(port, run);
    await new Promise((r) => setTimeout(r, LOAD_MS));
    await kill(broker);
    const ackedBeforeKill = pubs.acked.size;
    const sentAtKill = pubs.sent();
    sub.end(true);
    const t0 = Date.now();
    broker = await startBroker(port, persistence);
    const restartMs = Date.now() - t0;
    // the publishers are back first and send what they queued while it was down; the subscriber a moment later
    await new Promise((r) => setTimeout(r, 500));
    // counting from the first packet: queued messages may come in the same read as the CONNACK
    const again = connect({ host: '127.0.0.1', port, protocolVersion: 4 as const, reconnectPeriod: 0, ...SUB });
    const afterRestart = receive(again, seen, 0);
    const sessionPresent = await new Promise<boolean>((resolve, reject) => {
      again.once('connect', (connack) => resolve(connack.sessionPresent));
      again.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, 500));
    await pubs.stop();
    const acked = new Set(pubs.acked);
    const missing = () => [...acked].filter((id) => !seen.has(id));
    // drain: until nothing is missing, or nothing new for 3 s
    for (let last = -1, idle = 0; missing().length > 0 && idle < 3_000; idle = afterRestart.count === last ? idle + 200 : 0, last = afterRestart.count) {
      await new Promise((r) => setTimeout(r, 200));
    }
    again.end(true);
    const figures = { persistence: persistence.split(':')[0], sent: pubs.sent(), acked: acked.size, ackedBeforeKill, lostSentBeforeKill: missing().filter((id) => Number(id.split('-')[2]) < sentAtKill).length, received: before.count + afterRestart.count, unique: seen.size, lost: missing().length, sessionPresent, restartMs };
    process.stdout.write(`broker SIGKILL under load: ${JSON.stringify(figures)}\n`);
    return figures;
  } finally {
    await kill(broker);
  }
}

test('a SIGKILLed broker on sqlite persistence delivers every acknowledged QoS 1 message after restart', { timeout: 120_000 }, async () => {
  const r = await killUnderLoad(`sqlite:${join(dir, 'broker.sqlite')}`, 'sqlite');
  assert.ok(r.acked > 1_000, `enough load to matter: ${r.acked} acknowledged`);
  assert.ok(r.sessionPresent, 'the persistent session survived the kill');
  assert.equal(r.lost, 0, `every acknowledged message delivered (${r.acked} acknowledged, ${r.unique} unique received)`);
});

test('control: the same kill on memory persistence loses acknowledged messages (the test can see a loss)', { timeout: 120_000 }, async () => {
  const r = await killUnderLoad('memory', 'memory');
  assert.ok(r.acked > 1_000, `enough load to matter: ${r.acked} acknowledged`);
  assert.equal(r.sessionPresent, false);
  assert.ok(r.lost > 0, `memory persistence loses what was queued (${r.lost} of ${r.acked})`);
});
