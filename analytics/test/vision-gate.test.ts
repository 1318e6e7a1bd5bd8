import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import type pg from 'pg';
import { pino } from 'pino';
import { Alert, check, deviceTopic, newMessage, type MessageOf } from '@vigil/schemas';
import { createPool, migrate } from '@vigil/ingest';
import { backends } from '../../ingest/test/backends.js';
import { startCameras, type CameraSim } from '../../device-sim/src/cameras/cameras.js';
import { loadRuntime, type VisionRuntime } from '../src/vision/runtime.js';
import { startCamera, type CameraConfig, type CameraPipeline } from '../src/vision/camera.js';
import { readCamerasFile } from '../src/vision/cameras-file.js';
import { decodeJpeg, type RgbFrame } from '../src/vision/image.js';
import { LatestFrame } from '../src/vision/latest-frame.js';
import { createGateWatch, type GateCheck, type GateWatch } from '../src/vision/gate-watch.js';
import { listenForCardReads } from '../src/vision/gate-mqtt.js';
import { until } from './vision-rtsp.js';
import { enrolFace } from '../src/biometrics/enrol.js';
import { saveTemplate } from '../src/biometrics/store.js';
import { cardHolder, expectedPeople, issueCard, revokeCard } from '../src/biometrics/cards.js';

const IMAGES = join(import.meta.dirname, '../../../shared/fixtures/images');
const photo = async (f: string): Promise<RgbFrame> => decodeJpeg(await readFile(join(IMAGES, f)), f);
const ffmpeg = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const embedded = backends().find((b) => b.name.includes('embedded'))!;
const SITE = 'prison-north';
const DOOR = 'pn-a-main';

test('the newest frame is kept alone; a stale one is not used but the next frame within the wait is', async () => {
  const lf = new LatestFrame();
  const f = (v: number): RgbFrame => ({ width: 1, height: 1, data: new Uint8Array([v, v, v]) });
  assert.equal(await lf.get(1000, 20, 5000), undefined, 'nothing yet, nothing within the wait');
  lf.put(f(1), 1000);
  lf.put(f(2), 1500);
  assert.equal(lf.fresh(1000, 2000)?.frame.data[0], 2);
  const next = lf.get(100, 1000, 2000);
  lf.put(f(3), 2100);
  assert.deepEqual([(await next)?.frame.data[0], (await next)?.ts], [3, 2100]);
});

test('cameras file: a gate camera names its doors; a bad door or a door watched twice is refused naming the field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-gate-cfg-'));
  const cam = { id: 'cam-gate-a', site: SITE, url: 'rtsp://127.0.0.1:8554/gate', width: 640, height: 480, fps: 2, zones: [] };
  const file = async (body: unknown) => (await writeFile(join(dir, 'c.json'), JSON.stringify(body)), join(dir, 'c.json'));
  try {
    const [ok] = readCamerasFile(await file({ cameras: [{ ...cam, gate: { doors: [DOOR], match: 0.35 } }] }));
    assert.deepEqual(ok!.gate, { doors: [DOOR], thresholds: { match: 0.35, uncertainBand: 0.08 } });
    assert.throws(() => readCamerasFile(join(dir, 'x.json')), /cannot read as JSON/);
    const bad = async (body: unknown, field: string) => {
      const path = await file(body);
      assert.throws(() => readCamerasFile(path), (e: Error & { field?: string }) => e.field === field && e.message.includes(field), field);
    };
    await bad({ cameras: [{ ...cam, gate: { doors: ['bad door'] } }] }, '/cameras/0/gate/doors/0');
    await bad({ cameras: [{ ...cam, gate: { doors: [] } }] }, '/cameras/0/gate/doors');
    await bad({ cameras: [{ ...cam, gate: { doors: [DOOR], match: 2 } }] }, '/cameras/0/gate/match');
    await bad({ cameras: [{ ...cam, gate: { doors: [DOOR] } }, { ...cam, id: 'cam-gate-b', gate: { doors: ['pn-b', DOOR] } }] }, '/cameras/1/gate/doors/1');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('identification at gates: simulated gate camera over RTSP, real models, embedded database', { skip: embedded.skip }, () => {
  let rt: VisionRuntime;
  let pool: pg.Pool;
  let sim: CameraSim;
  let dir: string;
  let pipeline: CameraPipeline;
  let watch: GateWatch;
  const alerts: Alert[] = [];
  const quiet = pino({ level: 'silent' });
  let seq = 0;
  const pipelineCfg = (): CameraConfig => ({ id: 'cam-gate-a', site: SITE, url: sim.url('cam-gate-a'), transport: 'udp', width: 640, height: 480, fps: 2, scene: { zones: [] }, gate: { doors: [DOOR] } });
  const read = (card: string, door = DOOR): MessageOf<'gate.access'> => newMessage('gate.access', 'pn-gw-a', ++seq, { door, card, granted: true, direction: 'in' }, Date.now());

  before(async () => {
    let url: string;
    [rt, sim, dir, url] = await Promise.all([
      loadRuntime({ logger: quiet }),
      startCameras({ cameras: [{ id: 'cam-gate-a', scene: 'face' }], port: 0, width: 640, height: 480, fps: 5, logger: quiet }),
      mkdtemp(join(tmpdir(), 'vigil-gate-')),
      embedded.start(),
    ]);
    pool = createPool(url);
    await migrate(pool);
    await pool.query(`INSERT INTO org_units VALUES ('moj', NULL, 1, 'Ministry', '司法部'), ('pn', 'moj', 4, 'North', '北区')`);
    await pool.query(`INSERT INTO sites VALUES ('${SITE}', 'pn', 'prison', 'North prison', '北区监狱')`);
    const cfg = pipelineCfg();
    pipeline = startCamera(rt, cfg, { publish: () => undefined, pool, snapshotDir: dir, ffmpegPath: ffmpeg, logger: quiet });
    // The card holders: the man the camera shows enrolled from two other photos of him, and two other people.
    const enrol = async (person: string, files: string[]) => saveTemplate(pool, person, (await enrolFace(rt, await Promise.all(files.map(photo)))).template, 'officer-3');
    await enrol('staff-vlado', ['person-vlado1.jpg', 'person-vlado5.jpg']);
    await enrol('subj-celeste', ['person-celeste.jpg']);
    await enrol('subj-linda', ['person-linda.jpg']);
    const t0 = Date.now() - 60_000;
    await issueCard(pool, SITE, 'C-1001', 'staff-vlado', t0);
    await issueCard(pool, SITE, 'C-2002', 'subj-celeste', t0);
    await issueCard(pool, SITE, 'C-3003', 'subj-linda', t0);
    watch = createGateWatch({ rt, pool, cameras: [{ cfg, frames: pipeline.latest! }], snapshotDir: dir, logger: quiet, onAlert: (a) => void alerts.push(a), frameWaitMs: 5000 });
    await until('the gate camera\'s first frame', () => pipeline.latest!.fresh(1000, Date.now()));
  });
  after(async () => {
    await pipeline?.stop();
    await sim?.close();
    await pool?.end();
    await embedded.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('card holders: the holder at the time of the read, re-issued and revoked cards; the people expected at the site have templates', async () => {
    const t = Date.now() - 30_000;
    await issueCard(pool, SITE, 'C-9', 'subj-celeste', t);
    await issueCard(pool, SITE, 'C-9', 'subj-linda', t + 10_000);
    assert.equal(await cardHolder(pool, SITE, 'C-9', t + 5000), 'subj-celeste', 'a read before the re-issue');
    assert.equal(await cardHolder(pool, SITE, 'C-9', t + 20_000), 'subj-linda');
    assert.equal(await cardHolder(pool, 'elsewhere', 'C-9', t + 20_000), undefined);
    assert.equal(await revokeCard(pool, SITE, 'C-9', t + 25_000), true);
    assert.equal(await cardHolder(pool, SITE, 'C-9', t + 26_000), undefined);
    await issueCard(pool, SITE, 'C-10', 'staff-no-template', t);
    assert.deepEqual((await expectedPeople(pool, SITE)).map((c) => c.id), ['staff-vlado', 'subj-celeste', 'subj-linda']);
  });

  test('the card holder at the door: matched 1:1 and identified 1:N, no alert, no picture kept', async () => {
    const msg = read('C-1001');
    const c = (await watch.handle(SITE, msg))!;
    assert.equal(c.outcome, 'matched', JSON.stringify(c));
    assert.ok(c.score! >= c.threshold!, `${c.score} >= ${c.threshold}`);
    assert.equal(c.seen, 'staff-vlado', JSON.stringify(c.identified?.scores));
    assert.equal(c.alert, undefined);
    assert.equal(c.snapshotRef, undefined);
    const { rows } = await pool.query(`SELECT outcome, holder_id, seen_id, faces, snapshot_ref, alert_id FROM gate_face_checks WHERE msg_id = $1`, [msg.id]);
    assert.deepEqual(rows, [{ outcome: 'matched', holder_id: 'staff-vlado', seen_id: 'staff-vlado', faces: 1, snapshot_ref: null, alert_id: null }]);
  });

  test('someone else\'s card at the door: a card_face_mismatch alert with score, threshold and who was seen, and a snapshot on disk', async () => {
    const msg = read('C-2002');
    const c = (await watch.handle(SITE, msg))!;
    assert.equal(c.outcome, 'not_matched', JSON.stringify(c));
    assert.equal(c.seen, 'staff-vlado');
    const a = c.alert!;
    assert.ok(check(Alert, a).ok);
    assert.deepEqual([a.rule, a.key, a.severity, a.subject, a.dev], ['biometrics.card_face_mismatch', `biometrics.card_face_mismatch:${DOOR}:subj-celeste`, 'high', 'subj-celeste', 'cam-gate-a']);
    assert.match(a.title.en, new RegExp(`at ${DOOR} \\(score 0\\.\\d\\d < 0\\.30; looks like staff-vlado 0\\.\\d\\d\\)`));
    assert.match(a.title.en, new RegExp(`score ${c.score!.toFixed(2)} < ${c.threshold!.toFixed(2)}`));
    assert.deepEqual(a.evidence.msg_ids, [msg.id]);
    assert.equal(a.evidence.door, DOOR);
    assert.equal(a.evidence.snapshot_ref, c.snapshotRef);
    const jpg = decodeJpeg(await readFile(join(dir, c.snapshotRef!)));
    assert.deepEqual([jpg.width, jpg.height], [640, 480]);
    assert.deepEqual(alerts.map((x) => x.id), [a.id], 'published like camera alerts');
    const { rows } = await pool.query(`SELECT outcome, alert_id, snapshot_ref FROM gate_face_checks WHERE msg_id = $1`, [msg.id]);
    assert.deepEqual(rows, [{ outcome: 'not_matched', alert_id: a.id, snapshot_ref: c.snapshotRef }]);
    assert.equal(await watch.handle(SITE, read('C-2002', 'pn-other-door')), undefined, 'a door no camera watches');
  });

  test('a face near the threshold is uncertain: no alert, kept with its score and threshold for an officer', async () => {
    const strict = { ...pipelineCfg(), gate: { doors: [DOOR], thresholds: { match: 0.6, uncertainBand: 0.2 } } };
    const w = createGateWatch({ rt, pool, cameras: [{ cfg: strict, frames: pipeline.latest! }], snapshotDir: dir, logger: quiet, onAlert: (a) => void alerts.push(a) });
    const msg = read('C-1001');
    const c = (await w.handle(SITE, msg))!;
    assert.equal(c.outcome, 'uncertain', JSON.stringify(c));
    assert.equal(c.alert, undefined);
    const { rows } = await pool.query<{ score: number; threshold: number; snapshot_ref: string }>(`SELECT score, threshold, snapshot_ref FROM gate_face_checks WHERE msg_id = $1`, [msg.id]);
    assert.ok(Math.abs(rows[0]!.score - c.score!) < 1e-6 && rows[0]!.threshold > 0.59 && rows[0]!.threshold < 0.61, JSON.stringify(rows));
    assert.ok(existsSync(join(dir, rows[0]!.snapshot_ref)));
  });

  test('over MQTT: vigil-vision hears only its site\'s events; a repeated mismatch folds into the alert; an empty doorway raises nothing but is logged', async () => {
    const broker = await Aedes.createBroker();
    const server: Server = createServer(broker.handle).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const vision = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'vigil-vision' });
    const gate = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'pn-gw-a' });
    const checks: GateCheck[] = [];
    try {
      await listenForCardReads(vision, watch, quiet, { onCheck: (c) => void checks.push(c) });
      const topic = deviceTopic(SITE, 'pn-gw-a', 'event');
      await gate.publishAsync(deviceTopic('prison-south', 'ps-gw-a', 'event'), JSON.stringify(newMessage('gate.access', 'ps-gw-a', 1, { door: DOOR, card: 'C-2002', granted: true }, Date.now())), { qos: 1 });
      await gate.publishAsync(topic, '{"not":"an envelope"}', { qos: 1 });
      await gate.publishAsync(topic, JSON.stringify(read('C-2002')), { qos: 1 });
      const first = await until('the judged read', () => checks[0]);
      assert.equal(first.outcome, 'not_matched');
      assert.equal(first.alert!.count, 2, 'folded into the open alert');
      await sim.setScene('cam-gate-a', 'empty');
      await new Promise((r) => setTimeout(r, 2000));
      await gate.publishAsync(topic, JSON.stringify(read('C-1001')), { qos: 1 });
      const empty = await until('the second judged read', () => checks[1]);
      assert.deepEqual([empty.outcome, empty.faces, empty.alert], ['no_face', 0, undefined]);
      assert.ok(existsSync(join(dir, empty.snapshotRef!)), 'the empty doorway is kept for the operator');
      assert.equal(checks.length, 2, 'the other site\'s read and the invalid message were not judged');
    } finally {
      await Promise.all([vision.endAsync(), gate.endAsync()]);
      await new Promise<void>((r) => broker.close(() => r()));
      server.close();
    }
  });
});
