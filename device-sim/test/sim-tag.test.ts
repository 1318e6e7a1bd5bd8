import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { validate } from '@vigil/schemas';
import { DEMO, startSimTag } from '../src/index.js';

test('a simulated tag publishes valid tag.fix and tag.health on its own topic', async () => {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const url = `mqtt://127.0.0.1:${port}`;
  const sub = await mqtt.connectAsync(url, { protocolVersion: 4 });
  await sub.subscribeAsync('vigil/v1/#', { qos: 1 });
  const seen: Array<{ topic: string; type: string; seq: number }> = [];
  sub.on('message', (topic, payload) => {
    const r = validate(topic, payload);
    assert.ok(r.ok, JSON.stringify(r));
    seen.push({ topic, type: r.message.type, seq: r.message.seq });
  });
  const t = DEMO.tags[0]!;
  const tag = await startSimTag({ mqttUrl: url, site: t.siteId, id: t.id, secret: 's', route: t.route, fixIntervalMs: 50, healthEveryFixes: 3, noiseM: 2, accuracyM: 8, seed: 1 });
  while (seen.length < 8) await new Promise((r) => setTimeout(r, 20));
  await tag.close();
  await sub.endAsync();
  broker.close();
  server.close();
  assert.ok(seen.every((m) => m.topic === `vigil/v1/${t.siteId}/${t.id}/telemetry`));
  assert.ok(seen.some((m) => m.type === 'tag.health'));
  const seqs = seen.map((m) => m.seq);
  assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'seq increases');
  assert.equal(new Set(seqs).size, seqs.length, 'seq never repeats');
});
