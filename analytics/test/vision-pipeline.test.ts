import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { pino } from 'pino';
import { CamDetection, CamHealth, check, type MessageOf } from '@vigil/schemas';
import { createPool, migrate } from '@vigil/ingest';
import { backends } from '../../ingest/test/backends.js';
import { loadRuntime, type VisionRuntime } from '../src/vision/runtime.js';
import { startCamera, type CameraPipeline } from '../src/vision/camera.js';
import { startFrameSource } from '../src/vision/frames.js';
import { decodeJpeg } from '../src/vision/image.js';
import { analyseFrame } from '../src/vision/analyse.js';
import { recordCameraMessage } from '../src/vision/store.js';
import { publishScene, startTestRtsp, until, type TestRtsp } from './vision-rtsp.js';

const ffmpeg = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const IMAGES = join(import.meta.dirname, '../../../shared/fixtures/images');
const embedded = backends().find((b) => b.name.includes('embedded'))!;

const stopChild = (c: ChildProcess | undefined) =>
  new Promise<void>((resolve) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('close', () => resolve());
    c.kill('SIGKILL');
  });

test('a camera that never answers is reported offline once, with the reason, and retried with growing delays', async () => {
  const health: Array<{ online: boolean; error?: string }> = [];
  const closed = await startTestRtsp();
  const url = closed.url('nothing-here');
  await closed.close();
  const src = startFrameSource({
    url,
    width: 64,
    height: 48,
    fps: 1,
    ffmpegPath: ffmpeg,
    initialBackoffMs: 200,
    maxBackoffMs: 800,
    stallMs: 5000,
    logger: pino({ level: 'silent' }),
    onFrame: () => assert.fail('no frame expected'),
    onHealth: (h) => void health.push(h),
  });
  try {
    await until('three retries', () => src.stats.reconnects >= 3 || undefined, 20_000);
  } finally {
    await src.stop();
  }
  assert.equal(health.length, 1, JSON.stringify(health));
  assert.equal(health[0]!.online, false);
  assert.ok(health[0]!.error && health[0]!.error.length > 0);
});

describe('camera pipeline over real RTSP and ffmpeg', { skip: embedded.skip }, () => {
  let rt: VisionRuntime;
  let rtsp: TestRtsp;
  let pool: pg.Pool;
  let dir: string;
  let publisher: ChildProcess | undefined;
  let cam: CameraPipeline | undefined;
  const published: Array<{ topic: string; msg: MessageOf<'cam.detection'> | MessageOf<'cam.health'> }> = [];

  before(async () => {
    [rt, rtsp, dir] = await Promise.all([
      loadRuntime({ face: false, logger: pino({ level: 'silent' }) }),
      startTestRtsp(),
      mkdtemp(join(tmpdir(), 'vigil-cam-')),
    ]);
    // Warm the kernels (the first inference compiles them) so the camera's first frame is not seconds late.
    await analyseFrame(rt, { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) });
    pool = createPool(await embedded.start());
    await migrate(pool);
    await pool.query(`INSERT INTO org_units VALUES ('moj', NULL, 1, 'Ministry', '司法部'), ('pn', 'moj', 4, 'North', '北区')`);
    await pool.query(`INSERT INTO sites VALUES ('prison-north', 'pn', 'prison', 'North prison', '北区监狱')`);
  });
  after(async () => {
    await cam?.stop();
    await stopChild(publisher);
    await rtsp?.close();
    await pool?.end();
    await embedded.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('quiet frames are skipped; a person walking into the restricted zone raises an alert with a snapshot; a dropped stream is reported and reconnected', async () => {
    const scene = { background: join(IMAGES, 'background.jpg'), person: join(IMAGES, 'ai-body.jpg'), quietS: 6, x: 190, y: 60, personH: 170 };
    publisher = publishScene(ffmpeg, rtsp.publishUrl('yard'), scene);
    await new Promise((r) => setTimeout(r, 1500));
    cam = startCamera(
      rt,
      {
        id: 'cam-yard-1',
        site: 'prison-north',
        url: rtsp.url('yard'),
        transport: 'udp',
        width: 320,
        height: 240,
        fps: 2,
        scene: { zones: [{ id: 'fence', kind: 'restricted', polygon: [[170, 0], [320, 0], [320, 240], [170, 240]] }] },
      },
      { publish: async (topic, msg) => (published.push({ topic, msg }), await recordCameraMessage(pool, 'prison-north', msg)), pool, snapshotDir: dir, ffmpegPath: ffmpeg, logger: pino({ level: 'silent' }), initialBackoffMs: 300, maxBackoffMs: 2000, stallMs: 6000 },
    );
    const health = () => published.filter((p) => p.msg.type === 'cam.health').map((p) => p.msg as MessageOf<'cam.health'>);
    await until('cam.health online', () => health().find((h) => h.body.online));
    const det = await until('zone intrusion', () => published.find((p) => p.msg.type === 'cam.detection'));
    const msg = det.msg as MessageOf<'cam.detection'>;
    assert.equal(det.topic, 'vigil/v1/prison-north/cam-yard-1/event');
    assert.ok(check(CamDetection, msg).ok);
    assert.deepEqual([msg.body.detection, msg.body.zone, msg.body.active, msg.body.people], ['zone_intrusion', 'fence', true, 1]);
    const s = cam.analyser.stats;
    assert.ok(s.skipped >= 2, `quiet frames skipped: ${JSON.stringify(s)}`);
    assert.ok(s.analysed < s.frames, JSON.stringify(s));

    await cam.idle();
    const { rows } = await pool.query<{ rule: string; severity: string; evidence: { snapshot_ref?: string; msg_ids?: string[]; zone_id?: string }; title_zh: string }>(
      `SELECT rule, severity, evidence, title_zh FROM alerts WHERE key = 'vision.zone_intrusion:cam-yard-1:fence'`,
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.rule, 'vision.zone_intrusion');
    assert.equal(rows[0]!.evidence.zone_id, 'fence');
    assert.deepEqual(rows[0]!.evidence.msg_ids, [msg.id]);
    assert.equal(rows[0]!.evidence.snapshot_ref, msg.body.snapshot_ref);
    const det2 = await pool.query<{ label: string; zone_id: string; snapshot_ref: string }>(`SELECT label, zone_id, snapshot_ref FROM detections WHERE msg_id = $1`, [msg.id]);
    assert.deepEqual(det2.rows, [{ label: 'zone_intrusion', zone_id: 'fence', snapshot_ref: msg.body.snapshot_ref }]);
    const jpg = decodeJpeg(await readFile(join(dir, msg.body.snapshot_ref!)));
    assert.deepEqual([jpg.width, jpg.height], [320, 240]);

    // The camera goes away: reported offline, then reconnected with backoff when it is back.
    await stopChild(publisher);
    rtsp.unpublish('yard');
    await until('cam.health offline', () => health().find((h) => !h.body.online), 20_000);
    assert.ok(health().every((h) => check(CamHealth, h).ok));
    const stored = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM device_events WHERE type = 'cam.health' AND device_id = 'cam-yard-1' AND body->>'online' = 'false'`);
    assert.equal(Number(stored.rows[0]!.n), 1, 'the outage is kept');
    const onlineBefore = health().filter((h) => h.body.online).length;
    publisher = publishScene(ffmpeg, rtsp.publishUrl('yard'), scene);
    await until('cam.health online again', () => health().filter((h) => h.body.online).length > onlineBefore, 30_000);
    assert.ok(cam.source.stats.reconnects >= 1);
    assert.ok(existsSync(join(dir, msg.body.snapshot_ref!)));
  });
});
