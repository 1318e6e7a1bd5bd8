import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import mqtt from 'mqtt';
import { parseLine } from '../src/line-protocol.js';
import { committedLpPoints, createInfluxMirror } from '../src/mirror/influx-mirror.js';
import { createLogger, createLpToken, createPool, lpTokenCache, migrate, startEmbeddedDatabase, startIngest, startLpHttpServer } from '../src/index.js';
import { freePort, startBroker, waitFor } from './helpers.js';

const INFLUXD = '/usr/bin/influxd';

/** Debian's `influxdb` server (1.6, v1 API only) on free ports in a temp dir, with database `vigil`; or why it cannot run. */
async function startInfluxd(t: TestContext): Promise<string | undefined> {
  if (!existsSync(INFLUXD)) {
    const why = `${INFLUXD} not found (apt-get install influxdb)`;
    if (process.env.CI === 'true') assert.fail(`InfluxDB is required under CI: ${why}`);
    t.diagnostic(`skipped: ${why}`);
    t.skip(why);
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'vigil-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const config = `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[logging]
  level = "warn"
`;
  await writeFile(join(dir, 'influxdb.conf'), config);
  const server: ChildProcess = spawn(INFLUXD, ['-config', join(dir, 'influxdb.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  t.after(async () => {
    server.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${httpPort}`;
  await waitFor('influxd /ping', async () => (await fetch(`${url}/ping`).catch(() => undefined))?.status === 204, 30_000);
  const created = await fetch(`${url}/query?q=${encodeURIComponent('CREATE DATABASE "vigil"')}`, { method: 'POST' });
  assert.equal(created.status, 200);
  return url;
}

/** `SELECT * FROM <measurement>` on the server, as the raw JSON text (int64 values exact) and parsed. */
async function select(url: string, measurement: string): Promise<{ text: string; rows: Record<string, unknown>[] }> {
  const q = encodeURIComponent(`SELECT * FROM "${measurement}"`);
  const res = await fetch(`${url}/query?db=vigil&epoch=ms&q=${q}`);
  const text = await res.text();
  const series = (JSON.parse(text) as { results: { series?: { columns: string[]; values: unknown[][] }[] }[] }).results[0]?.series?.[0];
  const rows = (series?.values ?? []).map((v) => Object.fromEntries(series!.columns.map((c, i) => [c, v[i]])));
  return { text, rows };
}

const point = (text: string, siteId = 'cc-xuhui', deviceId = 'env-0001') => {
  const r = parseLine(text);
  assert.ok(r.ok && r.point.timeNs !== undefined);
  return { siteId, deviceId, point: { ...r.point, timeNs: r.point.timeNs } };
};

describe("mirror to an external InfluxDB with @influxdata/influxdb-client, against Debian's influxdb server", () => {
  test('a server that is away costs nothing but log lines: add never throws, close gives up after its timeout', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const mirror = createInfluxMirror({ url, api: 'v2', bucket: 'b', flushIntervalMs: 20, closeTimeoutMs: 300, logger: createLogger('mirror-test', 'silent') });
    mirror.add([point('m v=1i 1764000000000000000')]);
    await mirror.close();
    assert.deepEqual(mirror.stats(), { queued: 1, written: 0, failed: 0 });
  });

  test('every field type arrives with its type, int64 exact, tagged with the Vigil site and device', async (t) => {
    const url = await startInfluxd(t);
    if (!url) return;
    const mirror = createInfluxMirror({ url, api: 'v1', bucket: 'vigil', flushIntervalMs: 50, logger: createLogger('mirror-test', 'silent') });
    t.after(() => mirror.close());
    mirror.add([
      point('weather,room=cell\\ block\\ A temp_c=21.5,big=9223372036854775807i,neg=-3i,count=42u,ok=true,note="open \\"gate 2\\"" 1764000000000000000'),
      point('weather,room=yard temp_c=19 1764000001000000000', 'cc-xuhui', 'env-0002'),
    ]);
    await mirror.flush();
    const { text, rows } = await select(url, 'weather');
    assert.deepEqual(rows, [
      { time: 1_764_000_000_000, big: 2 ** 63, count: 42, neg: -3, note: 'open "gate 2"', ok: true, room: 'cell block A', temp_c: 21.5, vigil_device: 'env-0001', vigil_site: 'cc-xuhui' },
      { time: 1_764_000_001_000, big: null, count: null, neg: null, note: null, ok: null, room: 'yard', temp_c: 19, vigil_device: 'env-0002', vigil_site: 'cc-xuhui' },
    ]);
    // 2 ** 63 is the nearest JS number to int64 max; the server's own text has it exactly.
    assert.match(text, /9223372036854775807/, 'the int64 is exact on the server');
    const types = await fetch(`${url}/query?db=vigil&q=${encodeURIComponent('SHOW FIELD KEYS FROM "weather"')}`).then((r) => r.json());
    assert.deepEqual((types as { results: { series: { values: string[][] }[] }[] }).results[0]!.series[0]!.values, [
      ['big', 'integer'],
      ['count', 'integer'],
      ['neg', 'integer'],
      ['note', 'string'],
      ['ok', 'boolean'],
      ['temp_c', 'float'],
    ]);
    assert.deepEqual(mirror.stats(), { queued: 2, written: 2, failed: 0 });
  });

  test('points committed from HTTP and from MQTT are mirrored; refused lines are not', async (t) => {
    const url = await startInfluxd(t);
    if (!url) return;
    const db = await startEmbeddedDatabase({ port: 0 });
    const pool = createPool(db.url);
    const broker = await startBroker();
    const silent = createLogger('mirror-test', 'silent');
    const mirror = createInfluxMirror({ url, api: 'v1', bucket: 'vigil', flushIntervalMs: 50, logger: silent });
    await migrate(pool);
    await pool.query(`INSERT INTO org_units (id, level, name_en, name_zh) VALUES ('sh', 3, 'Shanghai', '上海')`);
    await pool.query(`INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ('cc-xuhui', 'sh', 'community', 'Xuhui', '徐汇')`);
    await pool.query(`INSERT INTO devices (id, site_id, kind, secret_hash) VALUES ('env-0001', 'cc-xuhui', 'sensor', 'unused')`);
    const { token } = await createLpToken(pool, 'env-0001');
    const ingest = await startIngest({
      mqttUrl: broker.url,
      clientId: 'ingest-mirror',
      pool,
      flushIntervalMs: 20,
      onCommitted: (records) => mirror.add(committedLpPoints(records)),
      logger: silent,
    });
    const http = await startLpHttpServer({ port: 0, authenticate: lpTokenCache(pool), submit: (r) => ingest.submit(r), logger: silent });
    const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    t.after(async () => {
      await publisher.endAsync();
      await http.close();
      await ingest.close();
      await mirror.close();
      await broker.close();
      await pool.end();
      await db.close();
    });

    const write = (body: string) => fetch(`${http.url}/api/v2/write?bucket=b&precision=s`, { method: 'POST', headers: { Authorization: `Token ${token}` }, body });
    assert.equal((await write('door,gate=2 open=true 1764000000')).status, 204);
    assert.equal((await write('door,gate=3 open=true 1764000000\ndoor,gate=3 open=maybe 1764000000')).status, 400);
    await publisher.publishAsync('vigil/v1/cc-xuhui/env-0009/lp', 'door,gate=4 open=false 1764000002000000000', { qos: 1 });

    await waitFor('both points on the InfluxDB server', async () => (await select(url, 'door')).rows.length === 2, 20_000);
    assert.deepEqual((await select(url, 'door')).rows, [
      { time: 1_764_000_000_000, gate: '2', open: true, vigil_device: 'env-0001', vigil_site: 'cc-xuhui' },
      { time: 1_764_000_002_000, gate: '4', open: false, vigil_device: 'env-0009', vigil_site: 'cc-xuhui' },
    ]);
  });
});
