import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { startCameras, type CameraSim } from '@vigil/device-sim';
import { deviceTopic, newMessage, validate, type BodyOf, type MessageKind } from '@vigil/schemas';
import { pino } from 'pino';
import type { Driver, DriverContext, DriverState } from '../src/index.js';
import { rtspCameraPlugin } from '../src/drivers/camera/index.js';
import { PLUGINS } from '../src/plugins.js';

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SITE = 'site-cam';
const FPS = 5;

type Health = BodyOf<'cam.health'>;
interface Emit {
  at: number;
  device: string;
  body: Health;
}

/** A DriverContext that checks each emit is a valid Vigil message and records it. */
function recordingContext() {
  const emits: Emit[] = [];
  const states: DriverState[] = [];
  let seq = 0;
  const ctx: DriverContext = {
    name: 'cameras',
    site: SITE,
    log: pino({ level: 'silent' }),
    async emit<K extends MessageKind>(device: string, type: K, body: BodyOf<K>, opts?: { ts?: number }) {
      assert.equal(type, 'cam.health');
      const v = validate(deviceTopic(SITE, device, 'telemetry'), JSON.stringify(newMessage(type, device, ++seq, body, opts?.ts)));
      assert.ok(v.ok, `invalid cam.health: ${JSON.stringify(v)}`);
      emits.push({ at: Date.now(), device, body: body as Health });
    },
    setState: (state) => states.push(state),
    count: () => undefined,
  };
  return { ctx, emits, states };
}

async function until<T>(what: string, find: () => T | undefined, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('rtsp-camera driver against the simulated cameras over real RTSP', () => {
  let sim: CameraSim;
  let driver: Driver;
  let dir: string;
  const rec = recordingContext();
  const lastOf = (device: string, from = 0) => rec.emits.filter((e) => e.device === device && e.at >= from).at(-1);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-cam-driver-'));
    sim = await startCameras({ cameras: [{ id: 'cam-1', scene: 'person' }], port: 0, width: 320, height: 240, fps: FPS });
    const config = {
      cameras: [
        { id: 'cam-1', url: sim.url('cam-1'), transport: 'udp' },
        { id: 'cam-missing', url: sim.url('cam-1').replace('rtsp://', 'rtsp://admin:hunter2-secret@').replace('/cam-1', '/no-such-path') },
      ],
      snapshotDir: join(dir, 'snapshots'),
      healthIntervalMs: 1000,
      stallTimeoutMs: 2000,
      reconnectMaxDelayMs: 1000,
    };
    assert.ok(Value.Check(rtspCameraPlugin.configSchema, config), 'config fits the schema');
    driver = rtspCameraPlugin.create(config, rec.ctx);
    await driver.start();
  });
  after(async () => {
    await driver?.stop();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is registered as rtsp-camera and speaks for each camera', () => {
    assert.ok(PLUGINS.some((p) => p.type === 'rtsp-camera'));
    assert.deepEqual(driver.devices(), ['cam-1', 'cam-missing']);
    assert.equal(Value.Check(rtspCameraPlugin.configSchema, { cameras: [{ id: 'c', url: 'http://x' }], snapshotDir: dir }), false, 'an http URL is refused');
  });

  it('reports the stream online with the configured frame rate, a bit rate and a recent last frame', async (t) => {
    await until('cam-1 online', () => rec.emits.find((e) => e.device === 'cam-1' && e.body.online));
    await sleep(4000); // a full rate window
    const h = await until('a periodic cam.health with fps', () => {
      const e = lastOf('cam-1', Date.now() - 1500);
      return e?.body.fps !== undefined ? e : undefined;
    });
    assert.equal(h.body.online, true);
    assert.ok(Math.abs(h.body.fps! - FPS) <= 1, `fps ${h.body.fps}`);
    assert.ok(h.body.bitrate_kbps! > 0, `bitrate ${h.body.bitrate_kbps}`);
    assert.ok(h.at - h.body.last_frame_ts! < 2000, 'last frame is recent');
    assert.equal(h.body.error, undefined);
    t.diagnostic(`cam.health: ${h.body.fps} fps (configured ${FPS}), ${h.body.bitrate_kbps} kbit/s`);
  });

  it('reports a camera whose path does not exist as offline with the server error, without its password', async () => {
    const e = await until('cam-missing offline', () => rec.emits.find((x) => x.device === 'cam-missing' && x.body.error));
    assert.equal(e.body.online, false);
    assert.match(e.body.error!, /404/);
    assert.ok(!e.body.error!.includes('hunter2-secret'), `the password is published: ${e.body.error}`);
    assert.ok(rec.states.includes('degraded'), `states ${rec.states.join(',')}`);
  });

  it('takes a snapshot: a JPEG of the stream size stored under the snapshot folder', async () => {
    const out = await driver.command!('cam-1', 'snapshot', {});
    assert.equal(out.status, 'ok', out.detail);
    const r = out.result as { path: string; bytes: number; sha256: string; width: number; height: number };
    assert.ok(r.path.startsWith(join(dir, 'snapshots', 'cam-1')), r.path);
    const file = await readFile(r.path);
    assert.equal(file.length, r.bytes);
    assert.equal((await stat(r.path)).size, r.bytes);
    assert.deepEqual([...file.subarray(0, 3)], [0xff, 0xd8, 0xff], 'JPEG SOI marker');
    assert.deepEqual([...file.subarray(-2)], [0xff, 0xd9], 'JPEG EOI marker');
    assert.equal(createHash('sha256').update(file).digest('hex'), r.sha256);
    assert.equal(r.width, 320);
    assert.equal(r.height, 240);
    // read back by an independent decoder
    const { stdout } = await exec(ffprobeInstaller.path, ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', r.path]);
    const s = (JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0];
    assert.deepEqual(s, { codec_name: 'mjpeg', width: 320, height: 240 });

    assert.equal((await driver.command!('cam-1', 'zoom', {})).status, 'refused');
    assert.equal((await driver.command!('cam-9', 'snapshot', {})).status, 'refused');
  });

  it('reports the stream offline when it stops and online again when it is back', async (t) => {
    const stoppedAt = Date.now();
    await sim.stopStream('cam-1');
    const off = await until('cam-1 offline', () => rec.emits.find((e) => e.device === 'cam-1' && e.at >= stoppedAt && !e.body.online));
    assert.ok(off.body.error && off.body.error.length > 0, 'offline carries an error');
    assert.ok(off.at - stoppedAt < 5000, `offline reported after ${off.at - stoppedAt} ms`);
    // stays offline (retrying with back-off) while the stream is away
    await sleep(2500);
    assert.equal(lastOf('cam-1')?.body.online, false);

    const restartedAt = Date.now();
    await sim.startStream('cam-1');
    const on = await until('cam-1 back online', () => rec.emits.find((e) => e.device === 'cam-1' && e.at >= restartedAt && e.body.online));
    assert.equal(on.body.error, undefined);
    assert.ok(on.at - restartedAt < 8000, `online again after ${on.at - restartedAt} ms`);
    t.diagnostic(`offline reported ${off.at - stoppedAt} ms after the stream stopped (${off.body.error}); online again ${on.at - restartedAt} ms after it restarted`);
  });
});
