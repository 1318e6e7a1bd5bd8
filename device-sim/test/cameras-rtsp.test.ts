import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { CameraInjector, SCENES, startCameras, type CameraSim } from '../src/index.js';

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FPS = 5;

interface Probe {
  codec: string;
  width: number;
  height: number;
  avgFrameRate: string;
  /** Frames per second measured from the timestamps of 16 packets received. */
  measuredFps: number;
}

/** Play `url` with ffprobe (a real RTSP client over UDP) and read the video stream's codec, size and rate. */
async function probe(url: string): Promise<Probe> {
  // prettier-ignore
  const { stdout } = await exec(ffprobeInstaller.path, [
    '-v', 'error', '-rtsp_transport', 'udp', '-analyzeduration', '2000000', '-select_streams', 'v:0',
    '-read_intervals', '%+#16', '-show_entries', 'stream=codec_name,width,height,avg_frame_rate:packet=pts_time',
    '-of', 'json', url,
  ], { timeout: 20_000 });
  const out = JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number; avg_frame_rate: string }[]; packets: { pts_time: string }[] };
  const s = out.streams[0];
  assert.ok(s, `no video stream in ${url}`);
  const pts = out.packets.map((p) => Number(p.pts_time)).filter(Number.isFinite);
  assert.ok(pts.length >= 10, `only ${pts.length} packets from ${url}`);
  const span = Math.max(...pts) - Math.min(...pts);
  return { codec: s.codec_name, width: s.width, height: s.height, avgFrameRate: s.avg_frame_rate, measuredFps: (pts.length - 1) / span };
}

/** One decoded frame of `url`, shrunk to 32x24 grey, as a player would show it. */
async function grab(url: string): Promise<Buffer> {
  // prettier-ignore
  const { stdout } = await exec(ffmpegInstaller.path, [
    '-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'udp', '-analyzeduration', '1000000', '-i', url,
    '-frames:v', '1', '-vf', 'scale=32:24,format=gray', '-f', 'rawvideo', 'pipe:1',
  ], { encoding: 'buffer', timeout: 20_000 });
  assert.equal(stdout.length, 32 * 24);
  return stdout;
}

const meanAbsDiff = (a: Buffer, b: Buffer) => a.reduce((sum, v, i) => sum + Math.abs(v - (b[i] ?? 0)), 0) / a.length;

describe('simulated RTSP cameras (rtsp-streaming-server, ffmpeg libx264)', () => {
  let sim: CameraSim;
  let injector: CameraInjector;
  let startedAt = 0;

  before(async () => {
    sim = await startCameras({ cameras: SCENES.map((scene) => ({ id: `cam-${scene}`, scene })), port: 0, width: 320, height: 240, fps: FPS });
    injector = new CameraInjector(sim);
    startedAt = Date.now();
  });
  after(() => sim?.close());

  it('plays every scene as H.264 at the configured size and frame rate', async () => {
    const probes = await Promise.all(SCENES.map((scene) => probe(sim.url(`cam-${scene}`))));
    for (const [i, p] of probes.entries()) {
      const scene = SCENES[i];
      assert.equal(p.codec, 'h264', `${scene} codec`);
      assert.equal(p.width, 320, `${scene} width`);
      assert.equal(p.height, 240, `${scene} height`);
      assert.equal(p.avgFrameRate, `${FPS}/1`, `${scene} frame rate`);
      assert.ok(Math.abs(p.measuredFps - FPS) < 0.5, `${scene} measured ${p.measuredFps} fps`);
    }
  });

  it('shows a different picture in each scene, and a scene switch reaches a player', async () => {
    await sleep(startedAt + 2500 - Date.now()); // the group has gathered (it fades in over 2 s)
    const [empty, person, down, group] = await Promise.all(['empty', 'person', 'person-down', 'group'].map((s) => grab(sim.url(`cam-${s}`))));
    for (const [name, frame] of [['person', person], ['person-down', down], ['group', group]] as const) {
      assert.ok(meanAbsDiff(frame!, empty!) > 4, `${name} looks like the empty room`);
    }
    assert.ok(meanAbsDiff(person!, down!) > 2, 'standing and lying look the same');

    await injector.inject('cam-empty', 'scene', { scene: 'person' });
    await sleep(500);
    const switched = await grab(sim.url('cam-empty'));
    assert.ok(meanAbsDiff(switched, person!) < 2, 'after the switch the camera shows the person');
    assert.equal(sim.status().find((c) => c.id === 'cam-empty')?.scene, 'person');

    // walk-in: the person moves during the first seconds of the scene
    await injector.inject('cam-empty', 'scene', { scene: 'walk-in' });
    const first = await grab(sim.url('cam-empty'));
    await sleep(1200);
    const later = await grab(sim.url('cam-empty'));
    assert.ok(meanAbsDiff(first, later) > 1, 'the walking person does not move');
  });

  it('drops a stream for the injected period, then serves it again', async () => {
    await injector.inject('cam-group', 'drop', { durationMs: 2500 });
    assert.equal(sim.status().find((c) => c.id === 'cam-group')?.streaming, false);
    await assert.rejects(probe(sim.url('cam-group')), 'a dropped stream still plays');
    await sleep(2600);
    const p = await probe(sim.url('cam-group'));
    assert.equal(p.codec, 'h264');
    assert.equal(p.width, 320);
  });

  it('refuses bad injections and settings, naming what is wrong', async () => {
    await assert.rejects(injector.inject('cam-person', 'dance', {}), /unknown action "dance"/);
    await assert.rejects(injector.inject('cam-person', 'scene', { scene: 'party' }), /scene must be one of/);
    await assert.rejects(injector.inject('cam-person', 'drop', { durationMs: -1 }), /durationMs must be a non-negative number/);
    await assert.rejects(injector.inject('cam-nope', 'stop', {}), /unknown camera "cam-nope"/);
    await assert.rejects(startCameras({ cameras: [{ id: 'c', scene: 'empty' }], port: 0, width: 321 }), /width must be an even integer/);
    await assert.rejects(startCameras({ cameras: [{ id: 'c', scene: 'empty' }], port: 0, framesDir: '/nonexistent' }), /framesDir: fixture photo missing/);
  });
});
