import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import type pg from 'pg';
import { createLogger, createPool, migrate, startIngest, type Ingest } from '@vigil/ingest';
import { deviceTopic, newMessage } from '@vigil/schemas';
import { backends } from '../../ingest/test/backends.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Communication-loss buffer: long enough that the kill lands inside it on a busy machine. */
const BUFFER_S = 8;

const waitUntil = async (what: string, cond: () => boolean | Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

for (const backend of backends()) {
  describe(`analytics restart (SIGKILL) on ${backend.name}`, { skip: backend.skip }, () => {
    let dbUrl: string;
    let pool: pg.Pool;
    let broker: Aedes;
    let server: Server;
    let mqttUrl: string;
    let ingest: Ingest;
    const children = new Set<ChildProcess>();

    before(async () => {
      dbUrl = await backend.start();
      pool = createPool(dbUrl);
      await migrate(pool);
      await pool.query(`INSERT INTO org_units VALUES ('moj', NULL, 1, 'Ministry', '司法部')`);
      await pool.query(`INSERT INTO sites VALUES ('cc-xuhui', 'moj', 'community', 'Xuhui', '徐汇')`);
      await pool.query(`INSERT INTO analytics_rule_sets (id, config) VALUES ('default', $1)`, [JSON.stringify({ defaults: { comm_loss_s: BUFFER_S, location_loss_s: 604_800 } })]);
      broker = await Aedes.createBroker();
      server = createServer(broker.handle).listen(0, '127.0.0.1');
      await once(server, 'listening');
      mqttUrl = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
      ingest = await startIngest({ mqttUrl, clientId: 'ingest-restart', pool, flushIntervalMs: 50, logger: createLogger('ingest', 'silent') });
    });

    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      await ingest?.close();
      broker?.close();
      server?.close();
      await pool?.end();
      await backend.stop();
    });

    /** The real analytics entry point as its own process, started like `npm start` does. */
    async function startAnalytics(snapshotMs: number): Promise<ChildProcess> {
      const child = spawn(process.execPath, ['--import', 'tsx', 'analytics/src/main.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: dbUrl,
          VIGIL_MQTT_URL: mqttUrl,
          VIGIL_MQTT_USERNAME: 'svc-analytics',
          VIGIL_MQTT_PASSWORD: 'unused-by-this-broker',
          VIGIL_ANALYTICS_CLIENT_ID: 'analytics-restart',
          VIGIL_ANALYTICS_TICK_MS: '100',
          VIGIL_ANALYTICS_SNAPSHOT_MS: String(snapshotMs),
          VIGIL_ANALYTICS_REPLAY_LOOKBACK_S: '600',
          VIGIL_ANALYTICS_ESCALATE_AFTER_S: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      let out = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('VIGIL_ANALYTICS_READY')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`analytics exited (${code}) before ready: ${err.slice(-2000)}`)));
      });
      return child;
    }

    const kill = async (child: ChildProcess) => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    };

    const alertsOf = async (dev: string) =>
      (await pool.query<{ id: string; count: number; n: number }>(
        `SELECT a.id, a.count, (SELECT count(*)::int FROM alert_transitions t WHERE t.alert_id = a.id) AS n FROM alerts a WHERE a.key = $1`,
        [`signal.comm_loss:${dev}`],
      )).rows;

    for (const variant of [
      { name: 'the state comes back from the snapshot', dev: 'tag-snap', snapshotMs: 200 },
      { name: 'the state comes back from replaying the stored stream (no snapshot since the message)', dev: 'tag-replay', snapshotMs: 600_000 },
    ].filter((v, i) => i === 1 || backend.name.includes('embedded'))) {
      // Both ways on the embedded database; the harder one (replay) on PostgreSQL too, to keep the suite short.
      test(`killed in the middle of a communication-loss buffer, exactly one alert after restart: ${variant.name}`, async () => {
        let analytics = await startAnalytics(variant.snapshotMs);
        const dev = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, clientId: variant.dev });
        const t0 = Date.now();
        await dev.publishAsync(deviceTopic('cc-xuhui', variant.dev, 'telemetry'), JSON.stringify(newMessage('tag.fix', variant.dev, 1, { lat: 31.19, lon: 121.44, acc_m: 5 }, t0)), { qos: 1 });
        await dev.endAsync();
        await waitUntil('the fix to be stored', async () => (await pool.query(`SELECT 1 FROM tag_fixes WHERE device_id = $1`, [variant.dev])).rowCount === 1);
        if (variant.snapshotMs < 1000) {
          await waitUntil('a snapshot holding the device', async () => {
            const { rows } = await pool.query(`SELECT state::text AS s FROM analytics_snapshots WHERE partition = '0/1'`);
            return rows[0]?.s.includes(variant.dev) ?? false;
          });
        } else await new Promise((r) => setTimeout(r, 300));
        assert.ok(Date.now() < t0 + BUFFER_S * 1000, 'the kill lands inside the buffer');
        assert.deepEqual(await alertsOf(variant.dev), [], 'no alert before the buffer ends');
        await kill(analytics);

        // The buffer ends while nothing runs.
        await new Promise((r) => setTimeout(r, Math.max(0, t0 + BUFFER_S * 1000 + 500 - Date.now())));
        assert.deepEqual(await alertsOf(variant.dev), []);

        analytics = await startAnalytics(variant.snapshotMs);
        await waitUntil('the communication-loss alert', async () => (await alertsOf(variant.dev)).length > 0);
        await new Promise((r) => setTimeout(r, 1500));
        let rows = await alertsOf(variant.dev);
        assert.equal(rows.length, 1, 'one alert');
        assert.equal(rows[0]!.count, 1, 'raised once, not folded again');
        assert.equal(rows[0]!.n, 1, 'one transition (raised)');

        // Killed again right after raising it and restarted: the replay does not raise or count it again.
        await kill(analytics);
        analytics = await startAnalytics(variant.snapshotMs);
        await new Promise((r) => setTimeout(r, 2000));
        rows = await alertsOf(variant.dev);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.count, 1);
        await kill(analytics);
      });
    }
  });
}
