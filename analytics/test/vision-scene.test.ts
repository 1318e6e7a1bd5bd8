import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, CamDetection } from '@vigil/schemas';
import { chooseBackend } from '../src/vision/runtime.js';
import { MotionGate } from '../src/vision/motion.js';
import { Tracker } from '../src/vision/tracker.js';
import { initialSceneState, stepScene, type SceneConfig, type SceneEvent, type SceneState } from '../src/vision/detections.js';
import { detectionDraft, detectionMessage } from '../src/vision/alerts.js';
import { checkCameraConfig } from '../src/vision/camera.js';
import type { PersonObservation } from '../src/vision/analyse.js';
import type { RgbFrame } from '../src/vision/image.js';
import { VisionError } from '../src/vision/errors.js';

const W = 160;
const H = 120;
const flat = (v: number): RgbFrame => ({ width: W, height: H, data: new Uint8Array(W * H * 3).fill(v) });
const withBlock = (base: RgbFrame, x0: number, y0: number, s: number, v: number): RgbFrame => {
  const data = new Uint8Array(base.data);
  for (let y = y0; y < y0 + s; y++) for (let x = x0; x < x0 + s; x++) data.fill(v, (y * W + x) * 3, (y * W + x) * 3 + 3);
  return { width: W, height: H, data };
};

test('backend choice: tfjs-node when it loads, else wasm with the reason; forcing tensorflow without it is an error', () => {
  assert.deepEqual(chooseBackend(undefined, () => ({})), { backend: 'tensorflow', reason: '@tensorflow/tfjs-node loaded' });
  const fallback = chooseBackend(undefined, () => {
    throw new Error("Cannot find module '@tensorflow/tfjs-node'");
  });
  assert.equal(fallback.backend, 'wasm');
  assert.match(fallback.reason, /tfjs-node does not load .*Cannot find module/);
  assert.equal(chooseBackend('wasm', () => ({})).backend, 'wasm');
  assert.throws(
    () =>
      chooseBackend('tensorflow', () => {
        throw new Error('libtensorflow.so: cannot open shared object file');
      }),
    (e: unknown) => e instanceof VisionError && e.code === 'VIGIL_VISION_RUNTIME' && /libtensorflow/.test(e.message),
  );
});

test('motion gating: a static scene is skipped, a moving block is not, a masked area is ignored', () => {
  const gate = new MotionGate({ pixelThreshold: 20, minChangedFraction: 0.002, masks: [[[0, 0], [40, 0], [40, 40], [0, 40]]] });
  assert.equal(gate.check(flat(100)).moved, true, 'the first frame is analysed');
  for (let i = 0; i < 5; i++) assert.equal(gate.check(flat(101)).moved, false, 'noise below the pixel threshold');
  assert.equal(gate.check(withBlock(flat(100), 5, 5, 30, 250)).moved, false, 'change inside the mask');
  const moved = gate.check(withBlock(flat(100), 80, 60, 20, 250));
  assert.equal(moved.moved, true);
  assert.ok(moved.changedFraction > 0.01);
  assert.equal(gate.check(withBlock(flat(100), 80, 60, 20, 250)).moved, false, 'the same picture again is still');
  assert.deepEqual(gate.stats, { moved: 2, still: 7 });
});

const person = (x: number, y: number, w = 20, h = 50, horizontal = false): PersonObservation => ({ box: { x, y, w, h }, score: 0.8, horizontal });

test('tracker: a walking person keeps one id; a second person gets another; a lost track ages out', () => {
  const tr = new Tracker({ maxAgeMs: 1000 });
  let ids: number[] = [];
  for (let i = 0; i < 6; i++) ids.push(tr.update([person(10 + i * 6, 20)], i * 500)[0]!.id);
  assert.deepEqual(new Set(ids).size, 1);
  const two = tr.update([person(46, 20), person(120, 30)], 3000);
  assert.equal(two.length, 2);
  assert.notEqual(two[0]!.id, two[1]!.id);
  ids = two.map((t) => t.id);
  assert.deepEqual(tr.update([person(120, 30)], 4500).map((t) => t.id), [ids[1]]);
});

const zones: SceneConfig = {
  zones: [
    { id: 'fence', kind: 'restricted', polygon: [[100, 0], [160, 0], [160, 120], [100, 120]] },
    { id: 'yard', kind: 'crowd', polygon: [[0, 0], [100, 0], [100, 120], [0, 120]], maxPeople: 2, minMs: 3000 },
    { id: 'door', kind: 'loiter', polygon: [[0, 60], [40, 60], [40, 120], [0, 120]], minMs: 5000 },
  ],
  downMs: 2000,
  lyingStillMs: 10_000,
};

function run(frames: Array<[number, PersonObservation[]]>, cfg = zones) {
  const tr = new Tracker();
  let st: SceneState = initialSceneState();
  const out: Array<SceneEvent & { ts: number }> = [];
  for (const [ts, people] of frames) {
    const r = stepScene(st, tr.update(people, ts), cfg, ts);
    st = r.state;
    out.push(...r.events.map((e) => ({ ...e, ts })));
  }
  return out.map((e) => [e.ts, e.detection, e.zone ?? '-', e.active, e.people] as const);
}

test('restricted zone: raised when a person stands in it, once, and cleared when they leave', () => {
  assert.deepEqual(
    run([
      [0, [person(60, 20)]],
      [500, [person(110, 20)]],
      [1000, [person(115, 20)]],
      [1500, [person(60, 20)]],
    ]),
    [
      [500, 'zone_intrusion', 'fence', true, 1],
      [1500, 'zone_intrusion', 'fence', false, 0],
    ],
  );
});

test('crowd: more than N people for T seconds, not before; a short gathering raises nothing', () => {
  const three = [person(5, 0), person(30, 0), person(60, 0)];
  assert.deepEqual(run([[0, three], [1000, three], [2000, [person(5, 0)]]]), [], 'under T');
  assert.deepEqual(run([[0, three], [1000, three], [3000, three], [4000, three.slice(0, 2)]]), [
    [3000, 'crowd', 'yard', true, 3],
    [4000, 'crowd', 'yard', false, 2],
  ]);
});

test('loitering: one person in the zone longer than T', () => {
  const frames: Array<[number, PersonObservation[]]> = [];
  for (let t = 0; t <= 6000; t += 1000) frames.push([t, [person(10, 40 + (t / 1000) % 2)]]);
  frames.push([7000, []]);
  assert.deepEqual(run(frames, { zones: [zones.zones[2]!] }), [
    [5000, 'loitering', 'door', true, 1],
    [7000, 'loitering', 'door', false, 0],
  ]);
});

test('person down: lying (pose horizontal) for T, or lying still without a pose for the longer T', () => {
  assert.deepEqual(run([[0, [person(60, 20)]], [1000, [person(55, 50, 50, 20, true)]], [2000, [person(55, 50, 50, 20, true)]], [3000, [person(55, 50, 50, 20, true)]]], { zones: [] }), [
    [3000, 'person_down', '-', true, 1],
  ]);
  const still: Array<[number, PersonObservation[]]> = [];
  for (let t = 0; t <= 12_000; t += 2000) still.push([t, [person(50, 60, 50, 25, false)]]);
  assert.deepEqual(run(still, { zones: [], lyingStillMs: 10_000 }), [[10_000, 'person_down', '-', true, 1]]);
});

test('a detection becomes a valid cam.detection and an alert draft that links the snapshot; the end clears it', () => {
  const tr = new Tracker();
  const tracks = tr.update([person(110, 20)], 1_764_000_000_000);
  const ev: SceneEvent = { detection: 'zone_intrusion', active: true, zone: 'fence', people: 1, durationMs: 0, tracks: [...tracks] };
  const msg = detectionMessage('cam-yard-1', 7, ev, 1_764_000_000_000, { width: W, height: H }, 'cam-yard-1/1764000000000-7.jpg');
  assert.ok(check(CamDetection, msg).ok, JSON.stringify(check(CamDetection, msg)));
  assert.deepEqual(msg.body.objects[0]!.box, { x: 110 / W, y: 20 / H, w: 20 / W, h: 50 / H });
  const d = detectionDraft('prison-north', msg);
  assert.equal(d.key, 'vision.zone_intrusion:cam-yard-1:fence');
  assert.equal(d.severity, 'high');
  assert.equal(d.evidence.snapshot_ref, 'cam-yard-1/1764000000000-7.jpg');
  assert.deepEqual(d.evidence.msg_ids, [msg.id]);
  assert.equal(d.title['zh-CN'], '有人进入禁区 (fence)');
  const end = detectionDraft('prison-north', detectionMessage('cam-yard-1', 8, { ...ev, active: false, tracks: [] }, 1_764_000_001_000, { width: W, height: H }));
  assert.equal(end.clear, true);
  assert.equal(end.key, d.key);
});

test('bad camera settings name the field', () => {
  const base = { id: 'cam-1', site: 's', url: 'rtsp://x/y', width: 320, height: 240, fps: 2, scene: { zones: [] } };
  assert.throws(() => checkCameraConfig({ ...base, fps: 0 }), /fps must be above 0/);
  assert.throws(() => checkCameraConfig({ ...base, width: 10 }), /width must be/);
  assert.throws(() => checkCameraConfig({ ...base, scene: { zones: [{ id: 'z', kind: 'restricted', polygon: [[0, 0], [1, 1]] }] } }), /zone z: polygon needs at least 3 points/);
  assert.throws(() => checkCameraConfig({ ...base, scene: { zones: [{ id: 'z', kind: 'crowd', polygon: [[0, 0], [1, 1], [0, 1]] }] } }), /maxPeople/);
});
