import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@vigil/broker';
import { createLogger, startAgent, validateConfig, type RunningAgent } from '../src/index.js';
import { AGENT_SECRET, connectClient, SECRETS, SITE, startGate, startRegistry, startTestBroker, until, type Received } from './helpers.js';
import { probePlugin, probes } from './plugins.js';

// `npm run fault:edge` sets 60 s; `npm test` keeps it short.
const OUTAGE_MS = Number(process.env.VIGIL_EDGE_OUTAGE_MS ?? 3_000);
const TOTAL = 10_000;
const DEVICES = ['tag-1', 'tag-2', 'tag-3', 'tag-4'];
const AGENT = 'edge-1';
const INFLIGHT = 200;

test(`broker stopped for ${OUTAGE_MS} ms while ${TOTAL} messages are produced: each arrives, in order per device`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-outage-'));
  const db = await startRegistry(AGENT, DEVICES);
  let broker: RunningBroker | undefined = await startTestBroker(db.pool);
  const gate = await startGate(() => broker!.port);
  let agent: RunningAgent | undefined;
  let sub: MqttClient | undefined;
  const got: Received[] = [];
  const subscribe = async () => {
    sub = await connectClient(broker!.port, { clientId: 'svc-ingest-edge', username: 'svc-ingest', password: SECRETS.ingest });
    sub.on('message', (_t, p) => got.push(JSON.parse(p.toString()) as Received));
    await sub.subscribeAsync(`vigil/v1/${SITE}/+/telemetry`, { qos: 1 });
  };
  try {
    await subscribe();
    const config = validateConfig(
      {
        site: SITE,
        agent_id: AGENT,
        broker: { url: `mqtt://127.0.0.1:${gate.port}`, reconnect_ms: 200 },
        queue: { inflight: INFLIGHT },
        drivers: [{ name: 'probe-1', type: 'probe', config: { devices: DEVICES } }],
      },
      [probePlugin],
    );
    agent = await startAgent({ config, dataDir: dir, plugins: [probePlugin], credentials: { secret: AGENT_SECRET }, log: createLogger('agent', (process.env.VIGIL_TEST_LOG ?? 'silent') as 'silent') });
    const ctx = probes.get('probe-1')!.ctx;
    await until(() => agent!.client.connected, 10_000, () => 'agent never connected');

    // produce at a steady pace across the outage: a fifth before it, most during it, the rest after
    const spanMs = OUTAGE_MS * 1.5 + 1_000;
    const started = Date.now();
    let produced = 0;
    const producing = (async () => {
      while (produced < TOTAL) {
        const due = Math.min(TOTAL, Math.ceil(((Date.now() - started) / spanMs) * TOTAL) + 1);
        const batch: Promise<void>[] = [];
        for (; produced < due; produced++) batch.push(ctx.emit(DEVICES[produced % DEVICES.length]!, 'tag.health', { battery_pct: produced % 100 }, { ts: 1_700_000_000_000 + produced }));
        await Promise.all(batch);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    await new Promise((r) => setTimeout(r, spanMs / 5));
    // The agent's link goes first, then the broker stops. (The other way round, what the broker had already
    // acknowledged but not yet written to the subscriber would die with its in-memory sessions: a broker
    // matter, not the agent's. Production brokers keep sessions in Redis, see docs/scaling.md.)
    gate.open = false;
    gate.cut();
    await new Promise((r) => setTimeout(r, 500));
    await broker.close();
    await sub!.endAsync(true);
    broker = undefined;
    const producedAtStop = produced;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const depthDuringOutage = agent.queueDepth();
    broker = await startTestBroker(db.pool);
    // the broker keeps sessions in memory: the subscriber subscribes again before the agent may reach it
    await subscribe();
    gate.open = true;
    await producing;
    assert.ok(producedAtStop > 0 && producedAtStop < TOTAL, `some produced before the stop (${producedAtStop})`);
    assert.ok(depthDuringOutage > 0, 'messages waited in the disk queue during the outage');

    const unique = () => new Set(got.map((m) => m.id)).size;
    await until(() => unique() >= TOTAL, 120_000, () => `${unique()} of ${TOTAL} arrived`);
    await until(() => agent!.queueDepth() === 0, 10_000, () => `queue depth ${agent!.queueDepth()}`);

    const seen = new Set<string>();
    const lastSeq = new Map<string, number>();
    let duplicates = 0;
    for (const m of got) {
      if (seen.has(m.id)) {
        duplicates++;
        if (process.env.VIGIL_TEST_LOG !== undefined) process.stdout.write(`dup ${m.dev} ${m.seq} ${m.ts - 1_700_000_000_000}\n`);
        continue;
      }
      seen.add(m.id);
      const prev = lastSeq.get(m.dev) ?? -1;
      assert.equal(m.seq, prev + 1, `${m.dev}: seq ${m.seq} after ${prev} (no gap, no reordering)`);
      lastSeq.set(m.dev, m.seq);
    }
    const indexes = new Set(got.map((m) => m.ts - 1_700_000_000_000));
    assert.equal(indexes.size, TOTAL);
    for (const d of DEVICES) assert.equal(lastSeq.get(d), TOTAL / DEVICES.length - 1);
    // QoS 1: only a publish in flight when the broker went down can arrive twice (consumers drop it by envelope id)
    assert.ok(duplicates <= INFLIGHT, `${duplicates} duplicate(s)`);
    process.stdout.write(`outage ${OUTAGE_MS} ms: ${TOTAL} produced, ${producedAtStop} before the stop, queue depth ${depthDuringOutage} during it, ${duplicates} redelivered duplicate(s)\n`);
  } finally {
    await agent?.stop();
    await sub?.endAsync(true);
    await broker?.close();
    await gate.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
