import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { deviceTopic, newMessage } from '@vigil/schemas';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { createPool, migrate } from '@vigil/ingest';
import { startBroker, waitFor } from '../ingest/test/helpers.js';
import { pgServerUnavailable, postgresUser, startPgServer, type PgServer } from '../ingest/test/pg-server.js';
import { spawnIngest, type IngestProcess } from '../ingest/test/spawn-ingest.js';

// docs/backup.md, proved: a base backup taken while ingest is writing, the
// WAL archive, the database destroyed, restored with the scripts an operator
// runs, and every committed row found again — none missing, none extra.
const run = promisify(execFile);
const SCRIPTS = new URL('../deploy/backup/', import.meta.url).pathname;
const T0 = 1_764_000_000_000;
const SITE = 'backup-site';
const unavailable = pgServerUnavailable();

/** Every stored fix as one fingerprint per row, in a fixed order. */
async function fixRows(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ r: string }>(`SELECT md5(t::text) AS r FROM tag_fixes t ORDER BY msg_id`);
    return res.rows.map((x) => x.r);
  } finally {
    await c.end();
  }
}

describe('backup and restore (base backup + WAL archive) on a real PostgreSQL 15', { skip: unavailable && process.env.CI !== 'true' ? `skipped: ${unavailable}` : undefined }, () => {
  let server: PgServer;
  let archive: string;
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let publisher: MqttClient;
  let ingest: IngestProcess | undefined;

  before(async () => {
    // archiving on from the start; the command is pointed at the archive folder once the server's folder exists
    server = await startPgServer({ settings: { archive_mode: 'on', archive_command: '/bin/false', wal_level: 'replica' } });
    archive = join(server.dir, 'wal-archive');
    await mkdir(archive);
    const owner = postgresUser();
    if (process.getuid?.() === 0 && owner) await chown(archive, owner.uid, owner.gid);
    // point archive_command at the real folder now that it exists
    const pool = createPool(server.url, { idleTimeoutMs: 1 });
    await pool.query(`ALTER SYSTEM SET archive_command = '${SCRIPTS}vigil-archive-wal.sh %p %f ${archive}'`);
    await pool.query('SELECT pg_reload_conf()');
    await migrate(pool);
    await pool.end();
    broker = await startBroker();
    publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'backup-publisher' });
  });
  after(async () => {
    ingest?.child.kill('SIGKILL');
    await publisher?.endAsync();
    await broker?.close();
    await server?.destroy();
  });

  const publish = async (from: number, n: number) => {
    for (let i = from; i < from + n; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, from + n - i) }, (_, k) => {
          const seq = i + k;
          const dev = `tag-${seq % 20}`;
          const m = newMessage('tag.fix', dev, seq, { lat: 30 + seq * 1e-5, lon: 120, acc_m: 4 }, T0 + seq);
          return publisher.publishAsync(deviceTopic(SITE, dev, 'telemetry'), JSON.stringify(m), { qos: 1 });
        }),
      );
    }
  };
  const stored = async () => (await fixRows(server.url)).length;

  test('every row committed before the last archived WAL comes back after the database is destroyed', { timeout: 240_000 }, async () => {
    const env = { DATABASE_URL: server.url, VIGIL_MQTT_URL: broker.url, VIGIL_INGEST_CLIENT_ID: 'ingest-backup', VIGIL_INGEST_FLUSH_INTERVAL_MS: '50' };
    ingest = spawnIngest(env);
    await ingest.ready();
    const backupDir = join(server.dir, 'base-backup');
    const scriptEnv = { ...process.env, DATABASE_URL: server.url };

    // writes before, during and after the base backup
    await publish(0, 2_000);
    const during = publish(2_000, 3_000);
    const base = await run(join(SCRIPTS, 'vigil-backup.sh'), ['base', backupDir], { env: scriptEnv });
    assert.match(base.stdout, /base backup written/);
    await during;
    await publish(5_000, 2_000);
    await waitFor('all 7,000 fixes committed', async () => (await stored()) === 7_000, 120_000);
    await ingest.stop();
    ingest = undefined;
    // the operator's last step before the disaster: everything committed is in the archive
    await run(join(SCRIPTS, 'vigil-backup.sh'), ['switch-wal'], { env: scriptEnv });
    const before = await fixRows(server.url);
    assert.equal(before.length, 7_000);

    // disaster: the server dies and its data directory is lost
    await server.stopServer();
    await rm(server.dataDir, { recursive: true, force: true });
    await assert.rejects(fixRows(server.url));

    const restore = await run(join(SCRIPTS, 'vigil-restore.sh'), ['base', backupDir, server.dataDir, archive]);
    assert.match(restore.stdout, /restored base backup/);
    await server.startServer();
    await waitFor('recovery finished', async () => {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      try {
        return (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r === false;
      } finally {
        await c.end();
      }
    }, 60_000);
    assert.deepEqual(await fixRows(server.url), before, 'every committed row, none missing, none extra');
  });

  test('a restore into a data directory that is not empty is refused, naming it', async () => {
    await assert.rejects(run(join(SCRIPTS, 'vigil-restore.sh'), ['base', join(server.dir, 'base-backup'), server.dataDir, archive]), (err: { stderr: string }) => {
      assert.match(err.stderr, /is not empty/);
      return true;
    });
  });

  test('a logical dump (small sites) restores into an empty database with the same rows', { timeout: 120_000 }, async () => {
    const dumpFile = join(server.dir, 'vigil.dump');
    await run(join(SCRIPTS, 'vigil-backup.sh'), ['dump', dumpFile], { env: { ...process.env, DATABASE_URL: server.url } });
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query('CREATE DATABASE vigil_restored');
    await c.end();
    const restoredUrl = server.url.replace(/\/postgres$/, '/vigil_restored');
    await run(join(SCRIPTS, 'vigil-restore.sh'), ['dump', dumpFile], { env: { ...process.env, DATABASE_URL: restoredUrl } });
    assert.deepEqual(await fixRows(restoredUrl), await fixRows(server.url));
  });
});
