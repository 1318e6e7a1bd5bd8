import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { validate } from '@vigil/schemas';
import { DEMO, SimFleet, buildTagFleet, createNmeaSink, tagInjector, type SimEvent } from '@vigil/device-sim';
import { createLogger, startAgent, validateConfig } from '../src/index.js';
import { PLUGINS } from '../src/plugins.js';
import { AGENT_SECRET, connectClient, SECRETS, SITE, startRegistry, startTestBroker, until, type Received } from './helpers.js';

const AGENT = 'edge-tags';
const START = Date.parse('2026-03-02T19:00:00+08:00');

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('simulated tags over NMEA → the edge agent with the nmea plugin → a real broker: every event arrives once, on the tag\'s own topic, as simulated', async () => {
  const subjects = DEMO.subjects.slice(0, 3).map((s) => ({ ...s, siteId: SITE }));
  const tags = subjects.map((s) => s.tagId);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-nmea-'));
  const db = await startRegistry(AGENT, tags);
  const broker = await startTestBroker(db.pool);
  const ingest = await connectClient(broker.port, { clientId: 'svc-ingest-nmea', username: 'svc-ingest', password: SECRETS.ingest });
  const got: Array<Received & { topic: string }> = [];
  ingest.on('message', (topic, p) => {
    const r = validate(topic, p);
    assert.ok(r.ok, JSON.stringify(r));
    got.push({ ...(r.message as unknown as Received), topic });
  });
  await ingest.subscribeAsync([`vigil/v1/${SITE}/+/telemetry`, `vigil/v1/${SITE}/+/event`], { qos: 1 });
  const port = await freePort();
  const config = validateConfig(
    {
      site: SITE,
      agent_id: AGENT,
      broker: { url: `mqtt://127.0.0.1:${broker.port}`, reconnect_ms: 200 },
      drivers: [{ name: 'tags', type: 'nmea', config: { source: { kind: 'tcp-listen', host: '127.0.0.1', port }, tags } }],
    },
    PLUGINS,
  );
  const agent = await startAgent({ config, dataDir: dir, plugins: PLUGINS, credentials: { secret: AGENT_SECRET }, log: createLogger('agent', 'silent') });
  try {
    const sink = createNmeaSink({ host: '127.0.0.1', port, logger: pino({ level: 'silent' }) });
    await sink.connect(subjects.map((s) => ({ id: s.tagId })));
    const built = buildTagFleet({ subjects, zones: DEMO.zones, seed: 9, startMs: START, tag: { fixIntervalMs: 15_000, healthIntervalMs: 120_000 } });
    const sent: SimEvent[] = [];
    const fleet = new SimFleet(
      built.devices.filter((d) => built.tags.has(d.id)),
      (ev) => {
        sent.push(ev);
        return sink.send(ev);
      },
      START,
    );
    await fleet.runUntil(START + 5 * 60_000);
    await tagInjector(fleet, built).inject(tags[1]!, 'case-open', {});
    await fleet.runUntil(START + 6 * 60_000);
    await until(() => got.length >= sent.length, 30_000, () => `${got.length} of ${sent.length} arrived`);
    await sink.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got.length, sent.length, 'nothing more, nothing lost');
    for (const tag of tags) {
      const want = sent.filter((e) => e.dev === tag);
      const have = got.filter((m) => m.dev === tag).sort((a, b) => a.seq - b.seq);
      assert.deepEqual(have.map((m) => m.type), want.map((e) => e.type), `${tag}: same kinds, in order`);
      have.forEach((m, i) => {
        const e = want[i]!;
        assert.equal(m.topic, `vigil/v1/${SITE}/${tag}/${e.type === 'tag.tamper' ? 'event' : 'telemetry'}`);
        if (e.type !== 'tag.fix') return assert.deepEqual(m.body, e.body);
        assert.equal(m.ts, Math.floor(e.ts / 10) * 10);
        assert.ok(Math.abs((m.body.lat as number) - e.body.lat) < 1e-6 && Math.abs((m.body.lon as number) - e.body.lon) < 1e-6, `${tag} fix ${i} position`);
        assert.equal(m.body.acc_m, e.body.acc_m);
      });
    }
    assert.ok(got.some((m) => m.type === 'tag.tamper' && m.dev === tags[1] && (m.body as { what: string }).what === 'case'));
  } finally {
    await agent.stop();
    await ingest.endAsync(true);
    await broker.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
