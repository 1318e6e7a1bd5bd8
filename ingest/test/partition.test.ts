import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt from 'mqtt';
import type { ConfigError } from '../src/index.js';
import { createPool, fnv1a32, migrate, ownsTopic, parsePartition, partitionEnv, partitionOfDevice, startEmbeddedDatabase } from '../src/index.js';
import { startBroker, waitFor } from './helpers.js';
import { pgServerUnavailable, startPgServer } from './pg-server.js';
import { spawnIngest } from './spawn-ingest.js';

describe('partition (unit)', () => {
  test('fnv1a32 matches the published FNV-1a 32-bit test vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
    assert.equal(fnv1a32('监'), fnv1a32(Buffer.from('监').toString()), 'hashes UTF-8 bytes');
  });

  test('every device has exactly one owner among n partitions, and the split is roughly even', () => {
    for (const count of [1, 2, 3, 7]) {
      const perPartition = new Array<number>(count).fill(0);
      for (let d = 0; d < 2_000; d++) {
        const topic = deviceTopic('prison-a', `tag-${d}`, 'telemetry');
        const owners = Array.from({ length: count }, (_, index) => index).filter((index) => ownsTopic({ index, count }, topic));
        assert.equal(owners.length, 1, `${topic} owned once of ${count}`);
        assert.equal(owners[0], partitionOfDevice(`tag-${d}`, count));
        perPartition[owners[0]!]!++;
      }
      for (const n of perPartition) assert.ok(n > (2_000 / count) * 0.8 && n < (2_000 / count) * 1.2, `even split of 2000 over ${count}: ${perPartition.join(', ')}`);
    }
  });

  test('the owner is the topic device, whatever the payload says; a topic without a device goes to 0', () => {
    const p = partitionOfDevice('tag-7', 2);
    assert.equal(ownsTopic({ index: p, count: 2 }, 'vigil/v1/site-1/tag-7/lp'), true);
    assert.equal(ownsTopic({ index: p, count: 2 }, 'vigil/v1/other-site/tag-7/event'), true, 'site does not matter');
    assert.equal(ownsTopic({ index: 0, count: 2 }, 'vigil/v1'), true);
    assert.equal(ownsTopic({ index: 1, count: 2 }, 'vigil/v1'), false);
  });

  test('parsePartition and partitionEnv accept "i/n" and name the variable when it is bad', () => {
    assert.deepEqual(parsePartition('0/2'), { index: 0, count: 2 });
    assert.deepEqual(parsePartition(' 3/4 '), { index: 3, count: 4 });
    assert.deepEqual(parsePartition('0/1'), { index: 0, count: 1 });
    for (const bad of ['2/2', '1/0', '-1/2', '0', '0/2/3', 'a/b', '0/1025', '1.0/2', '']) assert.equal(parsePartition(bad), undefined, bad);
    assert.equal(partitionEnv('VIGIL_INGEST_PARTITION', {}), undefined);
    assert.deepEqual(partitionEnv('VIGIL_INGEST_PARTITION', { VIGIL_INGEST_PARTITION: '1/3' }), { index: 1, count: 3 });
    assert.throws(() => partitionEnv('VIGIL_INGEST_PARTITION', { VIGIL_INGEST_PARTITION: '3/3' }), (err: ConfigError) => {
      assert.equal(err.variable, 'VIGIL_INGEST_PARTITION');
      assert.match(err.message, /^VIGIL_INGEST_PARTITION: must be "<index>\/<count>".*"3\/3"/);
      return true;
    });
  });

  test('main.ts exits 78 on a bad VIGIL_INGEST_PARTITION', async () => {
    const svc = spawnIngest({ VIGIL_MQTT_URL: 'mqtt://127.0.0.1:1', VIGIL_INGEST_PARTITION: '2/2' });
    assert.equal(await svc.exit, 78);
    assert.match(svc.err(), /^VIGIL_INGEST_PARTITION: /);
  });
});

describe('two real ingest processes split the stream by device hash', () => {
  test('every message from many devices is stored exactly once, each by the process that owns its device', async (t) => {
    // A real PostgreSQL server when there is one (two processes and this test then have their own
    // connections); otherwise the embedded database, which serves them in turn.
    let url: string;
    let closeDb: () => Promise<void>;
    if (pgServerUnavailable() === undefined) {
      const server = await startPgServer();
      [url, closeDb] = [server.url, () => server.destroy()];
    } else {
      if (process.env.CI === 'true') assert.fail(`PostgreSQL 15 is required under CI: ${pgServerUnavailable()}`);
      t.diagnostic(`no PostgreSQL 15 server (${pgServerUnavailable()}); using the embedded database`);
      const db = await startEmbeddedDatabase({ port: 0 });
      [url, closeDb] = [db.url, () => db.close()];
    }
    const pool = createPool(url, { idleTimeoutMs: 1 });
    const broker = await startBroker();
    const acks = new Map<string, number>();
    broker.broker.on('ack', (_packet, client) => acks.set(client.id, (acks.get(client.id) ?? 0) + 1));
    t.after(async () => {
      await pool.end();
      await broker.close();
      await closeDb();
    });
    await migrate(pool); // once, before both processes start

    const procs = [0, 1].map((index) =>
      spawnIngest({
        DATABASE_URL: url,
        VIGIL_MQTT_URL: broker.url,
        VIGIL_INGEST_PARTITION: `${index}/2`,
        VIGIL_INGEST_CLIENT_ID: `ingest-part-${index}`,
        VIGIL_INGEST_FLUSH_INTERVAL_MS: '50',
      }),
    );
    t.after(() => procs.forEach((p) => p.child.kill('SIGKILL')));
    await Promise.all(procs.map((p) => p.ready()));

    const devices = Array.from({ length: 40 }, (_, i) => `tag-${String(i).padStart(4, '0')}`);
    const messages = Array.from({ length: 400 }, (_, i) => newMessage('tag.health', devices[i % devices.length]!, i, { battery_pct: i % 101 }, 1_764_000_000_000 + i));
    const replays = messages.filter((_, i) => i % 10 === 0); // the same envelopes again: edge replay
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'publisher' });
    t.after(() => pub.endAsync());
    for (const m of [...messages, ...replays]) await pub.publishAsync(deviceTopic('site-p', m.dev, 'telemetry'), JSON.stringify(m), { qos: 1 });

    const stored = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM device_events WHERE site_id = 'site-p'")).rows[0]!.n;
    await waitFor('all 400 stored', async () => (await stored()) === messages.length, 60_000).catch(async (err) => {
      t.diagnostic(`stored ${await stored()}; outputs: ${procs.map((p) => p.out().slice(-1500) + p.err().slice(-1500)).join('\n----\n')}`);
      throw err;
    });
    const rows = await pool.query<{ msg_id: string; n: number }>("SELECT msg_id, count(*)::int AS n FROM device_events WHERE site_id = 'site-p' GROUP BY msg_id");
    assert.deepEqual(rows.rows.map((r) => r.msg_id).sort(), messages.map((m) => m.id).sort(), 'every message stored');
    assert.ok(rows.rows.every((r) => r.n === 1), 'none twice');

    const total = messages.length + replays.length;
    // Each process acks every message, its own after the commit: then its counters are final.
    await waitFor('both processes to ack everything', () => procs.every((_, i) => acks.get(`ingest-part-${i}`) === total), 60_000);
    const stats = await Promise.all(procs.map((p) => p.stop()));
    for (const [index, s] of stats.entries()) {
      const owns = (m: { dev: string }) => partitionOfDevice(m.dev, 2) === index;
      const owned = messages.filter(owns).length;
      const ownedReplays = replays.filter(owns).length;
      assert.ok(owned > 0, `partition ${index} owns some of the 40 devices`);
      assert.deepEqual(s, { received: owned + ownedReplays, written: owned, duplicates: ownedReplays, deadLettered: 0, otherPartition: total - owned - ownedReplays }, `partition ${index}`);
    }
    assert.equal(await stored(), messages.length, 'nothing more after both stopped');
  });
});
