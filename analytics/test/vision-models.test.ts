import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadRuntime, type VisionRuntime } from '../src/vision/runtime.js';
import { analyseFrame } from '../src/vision/analyse.js';
import { decodeJpeg, rotate90, scaleFrame, type RgbFrame } from '../src/vision/image.js';
import { saveEvidenceFrame } from '../src/vision/snapshot.js';
import { CameraAnalyser } from '../src/vision/camera.js';

const IMAGES = join(import.meta.dirname, '../../../shared/fixtures/images');
const photo = async (f: string): Promise<RgbFrame> => decodeJpeg(await readFile(join(IMAGES, f)), f);

let rt: VisionRuntime;
before(async () => {
  rt = await loadRuntime({ face: false, logger: pino({ level: 'silent' }) });
});

test('runtime: WASM on this machine (tfjs-node cannot install offline), chosen and explained', () => {
  // Only the WASM backend can run here; tfjs-node's results are not compared on this machine.
  assert.equal(rt.backend, 'wasm');
  assert.equal(rt.tf.getBackend(), 'wasm');
  assert.match(rt.reason, /tfjs-node/);
});

test('a person is found in every photo with one, none in the empty room', async () => {
  for (const f of ['ai-body.jpg', 'ai-upper.jpg', 'person-vlado.jpg']) {
    const a = await analyseFrame(rt, scaleFrame(await photo(f), 320, 320));
    assert.equal(a.people.length, 1, `${f}: ${JSON.stringify(a.people)}`);
    assert.equal(a.people[0]!.horizontal, false, `${f} stands`);
  }
  assert.deepEqual((await analyseFrame(rt, scaleFrame(await photo('background.jpg'), 320, 200))).people, []);
});

test('the group photo is counted within a tolerance (about ten people; the detector finds at least half)', async () => {
  const a = await analyseFrame(rt, await photo('group-1.jpg'));
  assert.ok(a.people.length >= 5 && a.people.length <= 13, `counted ${a.people.length}`);
});

test('the standing body turned a quarter is reported lying, with its torso angle', async () => {
  const a = await analyseFrame(rt, scaleFrame(rotate90(await photo('ai-body.jpg')), 320, 320));
  assert.equal(a.people.length, 1);
  assert.equal(a.people[0]!.horizontal, true);
  assert.ok(a.people[0]!.torsoAngleDeg! > 70, `torso ${a.people[0]!.torsoAngleDeg}`);
});

test('the same frame gives the same result run to run, and calls from several cameras at once do not mix', async () => {
  const f = scaleFrame(await photo('stock-group-2.jpg'), 480, 320);
  const g = scaleFrame(await photo('ai-body.jpg'), 320, 320);
  const a = await analyseFrame(rt, f);
  const b = await analyseFrame(rt, f);
  assert.ok(a.people.length > 0);
  assert.deepEqual(a, b);
  const one = await analyseFrame(rt, g);
  const [x, y, z] = await Promise.all([analyseFrame(rt, f), analyseFrame(rt, g), analyseFrame(rt, f)]);
  assert.deepEqual([x, y, z], [a, one, a]);
});

test('camera analyser: motion gating skips the empty room; a person walking in raises zone intrusion and, lying, person down; the snapshot has the box drawn', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-snap-'));
  try {
    const room = scaleFrame(await photo('background.jpg'), 320, 240);
    const body = scaleFrame(await photo('ai-body.jpg'), 160, 160);
    const lying = scaleFrame(rotate90(await photo('ai-body.jpg')), 160, 160);
    const paste = (bg: RgbFrame, fg: RgbFrame, x0: number, y0: number): RgbFrame => {
      const data = new Uint8Array(bg.data);
      for (let y = 0; y < fg.height; y++) data.set(fg.data.subarray(y * fg.width * 3, (y + 1) * fg.width * 3), ((y0 + y) * bg.width + x0) * 3);
      return { ...bg, data };
    };
    const an = new CameraAnalyser(rt, {
      id: 'cam-test',
      site: 'prison-north',
      url: 'rtsp://unused',
      width: 320,
      height: 240,
      fps: 2,
      scene: { zones: [{ id: 'fence', kind: 'restricted', polygon: [[140, 0], [320, 0], [320, 240], [140, 240]] }], downMs: 1000 },
    });
    const T = 1_764_000_000_000;
    const events = [];
    for (let i = 0; i < 6; i++) events.push(...(await an.process(room, T + i * 500)));
    assert.deepEqual(events, []);
    assert.deepEqual([an.stats.analysed, an.stats.skipped], [1, 5], 'only the first quiet frame is analysed');
    const standing = paste(room, body, 150, 70);
    const intr = await an.process(standing, T + 3000);
    assert.deepEqual(intr.map((e) => [e.detection, e.zone, e.active]), [['zone_intrusion', 'fence', true]]);
    const ref = await saveEvidenceFrame(dir, 'cam-test', T + 3000, 1, standing, intr[0]!.tracks.map((t) => t.box));
    const jpg = decodeJpeg(await readFile(join(dir, ref)));
    const b = intr[0]!.tracks[0]!.box;
    const px = (Math.round(b.y + 1) * jpg.width + Math.round(b.x + b.w / 2)) * 3;
    assert.ok(jpg.data[px]! > 180 && jpg.data[px + 1]! < 110, `red box edge at the top of the person: ${jpg.data.subarray(px, px + 3)}`);
    const down = paste(room, lying, 150, 70);
    const out = [...(await an.process(down, T + 3500)), ...(await an.process(down, T + 4000)), ...(await an.process(down, T + 4500))];
    assert.ok(out.some((e) => e.detection === 'person_down' && e.active), JSON.stringify(out.map((e) => [e.detection, e.active])));
    assert.ok(an.stats.skipped >= 6);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

after(() => {
  rt?.tf.disposeVariables?.();
});
