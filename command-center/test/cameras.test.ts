import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { WebSocket } from 'ws';
import { startCameras, type CameraSim } from '@vigil/device-sim';
import { buildApp, createAlertHub } from '../src/index.js';
import { addUser, loginHttp, seedBasicTree } from './auth-helpers.js';
import { startTestDb, testLogger } from './helpers.js';

/** Open a WebSocket and collect binary bytes until `bytes` arrived; or the HTTP status of a refused upgrade. */
function watch(url: string, cookie: string, bytes: number, timeoutMs = 30_000): Promise<{ status: number; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { cookie } });
    const chunks: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`only ${n} bytes in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0, data: Buffer.alloc(0) });
    });
    ws.on('message', (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (n >= bytes) {
        clearTimeout(timer);
        ws.close();
        resolve({ status: 101, data: Buffer.concat(chunks) });
      }
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('live camera: RTSP from a simulated camera to the browser as MPEG-TS / MPEG-1 over a WebSocket', () => {
  let db: { pool: Pool; close(): Promise<void> };
  let cams: CameraSim;
  let app: FastifyInstance;
  let base: string;
  let operator: string;
  let elsewhere: string;
  let auditor: string;

  before(async () => {
    db = await startTestDb();
    await seedBasicTree(db.pool);
    await db.pool.query(`INSERT INTO org_units (id, parent_id, level, name_en, name_zh) VALUES ('moj-b', 'moj', 2, 'B', '乙') ON CONFLICT DO NOTHING`);
    cams = await startCameras({ cameras: [{ id: 'cam-yard', scene: 'person' }], port: 0, width: 320, height: 240, fps: 5, logger: testLogger });
    await db.pool.query("INSERT INTO devices (id, site_id, kind, secret_hash, stream_url) VALUES ('cam-yard', 'prison-a', 'camera', 'x', $1)", [cams.url('cam-yard')]);
    app = await buildApp({ pool: db.pool, alertFeed: createAlertHub(), logger: testLogger, cameras: { ffmpegPath: ffmpegInstaller.path, logger: testLogger } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    operator = await loginHttp(base, await addUser(db.pool, { id: 'op-1', role: 'operator', orgUnit: 'moj' }));
    elsewhere = await loginHttp(base, await addUser(db.pool, { id: 'op-b', role: 'operator', orgUnit: 'moj-b' }));
    auditor = await loginHttp(base, await addUser(db.pool, { id: 'aud-1', role: 'auditor', orgUnit: 'moj' }));
  });
  after(async () => {
    await app?.close();
    await cams?.close();
    await db?.close();
  });

  test('an operator of the site gets MPEG-TS carrying MPEG-1 video (what JSMpeg plays), and it is audited', async () => {
    const list = (await (await fetch(`${base}/api/cameras`, { headers: { cookie: operator } })).json()) as { cameras: { id: string; live: string }[] };
    assert.deepEqual(list.cameras.map((c) => c.id), ['cam-yard']);
    const { status, data } = await watch(`${base.replace('http', 'ws')}${list.cameras[0]!.live}`, operator, 64 * 188);
    assert.equal(status, 101);
    // MPEG-TS: 188-byte packets starting with the 0x47 sync byte; an MPEG-1 sequence header (00 00 01 B3) inside.
    const start = data.indexOf(0x47);
    assert.ok(start >= 0 && data[start + 188] === 0x47 && data[start + 376] === 0x47, 'TS sync every 188 bytes');
    assert.ok(data.includes(Buffer.from([0x00, 0x00, 0x01, 0xb3])), 'an MPEG-1 video sequence header');
    const { rows } = await db.pool.query("SELECT actor, outcome FROM audit_log WHERE action = 'cameras.view' ORDER BY seq");
    assert.deepEqual(rows.map((r) => [r.actor, r.outcome]), [['op-1', 'ok']]);
  });

  test('no session, another subtree or a role without cameras: refused before the upgrade', async () => {
    const url = `${base.replace('http', 'ws')}/api/cameras/cam-yard/live`;
    assert.equal((await watch(url, '', 1)).status, 401);
    assert.equal((await watch(url, elsewhere, 1)).status, 404);
    assert.equal((await watch(`${base.replace('http', 'ws')}/api/cameras/cam-nowhere/live`, operator, 1)).status, 404);
    assert.equal((await watch(url, auditor, 1)).status, 403);
    const { rows } = await db.pool.query("SELECT actor FROM audit_log WHERE action = 'cameras.view' AND outcome = 'denied' ORDER BY seq");
    assert.deepEqual(rows.map((r) => r.actor), ['op-b', 'op-1', 'aud-1']);
  });
});
