import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadRuntime, type VisionRuntime } from '../src/vision/runtime.js';
import { analyseFrame, type FrameAnalysis } from '../src/vision/analyse.js';
import { decodeJpeg, scaleFrame, type RgbFrame } from '../src/vision/image.js';
import { detectFaces, similarity, type FaceObservation } from '../src/biometrics/faces.js';

/*
 * The same results on two backends within a tolerance. tfjs-node cannot be
 * installed on this machine, so the second backend is tfjs's reference CPU
 * backend (kernels in plain JavaScript): a different implementation of every
 * op than the WASM one (XNNPACK, SIMD). It is slow, so one frame and one face.
 */
const IMAGES = join(import.meta.dirname, '../../../shared/fixtures/images');
let rt: VisionRuntime;
let body: RgbFrame;
let face: RgbFrame;
before(async () => {
  rt = await loadRuntime({ logger: pino({ level: 'silent' }) });
  body = scaleFrame(decodeJpeg(await readFile(join(IMAGES, 'ai-body.jpg'))), 320, 320);
  face = decodeJpeg(await readFile(join(IMAGES, 'person-vlado.jpg')));
});

async function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await rt.tf.setBackend(name);
  await rt.tf.ready();
  assert.equal(rt.tf.getBackend(), name);
  return fn();
}

test('WASM and the CPU backend agree on people, pose and faces within a tolerance', async () => {
  createRequire(import.meta.url)('@tensorflow/tfjs-backend-cpu');
  const wasm: [FrameAnalysis, FaceObservation[]] = await onBackend('wasm', async () => [await analyseFrame(rt, body), await detectFaces(rt, face)]);
  const cpu: [FrameAnalysis, FaceObservation[]] = await onBackend('cpu', async () => [await analyseFrame(rt, body), await detectFaces(rt, face)]);
  await onBackend('wasm', async () => undefined);
  const [pw, fw] = wasm;
  const [pc, fc] = cpu;
  assert.equal(pc.people.length, pw.people.length);
  for (const [i, p] of pw.people.entries()) {
    const q = pc.people[i]!;
    for (const k of ['x', 'y', 'w', 'h'] as const) assert.ok(Math.abs(p.box[k] - q.box[k]) <= 2, `box ${k}: ${p.box[k]} vs ${q.box[k]}`);
    assert.ok(Math.abs(p.score - q.score) <= 0.02, `score ${p.score} vs ${q.score}`);
    assert.equal(p.horizontal, q.horizontal);
    assert.ok(Math.abs((p.torsoAngleDeg ?? 0) - (q.torsoAngleDeg ?? 0)) <= 2);
  }
  assert.equal(fc.length, 1);
  assert.equal(fw.length, 1);
  assert.ok(similarity(rt, fw[0]!.descriptor, fc[0]!.descriptor) >= 0.99, 'the same descriptor');
  assert.ok(Math.abs((fw[0]!.real ?? 0) - (fc[0]!.real ?? 0)) <= 0.02);
  assert.ok(Math.abs((fw[0]!.live ?? 0) - (fc[0]!.live ?? 0)) <= 0.02);
});
