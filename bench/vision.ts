/**
 * `npm run bench:vision`: video and biometric analytics on this machine's
 * TensorFlow.js backend (WASM here: tfjs-node cannot install offline).
 *
 * - Frames per second through the camera analyser (motion gate, person
 *   detection + pose, tracker, scene rules) at 320x240, on a quiet stream
 *   (the empty room with sensor noise) and a busy one (a person walking
 *   across), each with motion gating on and off. The reference in the same
 *   run is gating off: every frame through the detector. Printed as ratios.
 * - How many cameras at 2 fps one process sustains from those figures.
 * - Face pipeline: enrolment latency (one photo), identification latency
 *   (detect + describe + 1:N against a gallery), verifications per second.
 *
 * Settings (environment): VIGIL_BENCH_FRAMES (frames per stream, default 30),
 * VIGIL_BENCH_GALLERY (templates in the 1:N gallery, default 1000).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  CameraAnalyser,
  decodeJpeg,
  detectFaces,
  enrolFace,
  identify,
  loadRuntime,
  scaleFrame,
  type FaceTemplate,
  type RgbFrame,
  type VisionRuntime,
} from '@vigil/analytics';

function intSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

const FRAMES = intSetting('VIGIL_BENCH_FRAMES', 30);
const GALLERY = intSetting('VIGIL_BENCH_GALLERY', 1000);
const IMAGES = join(import.meta.dirname, '../../shared/fixtures/images');
const log = pino({ name: 'bench:vision' });
const out = (line: string) => process.stdout.write(`${line}\n`);

/** Deterministic noise, so runs compare. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function noisy(base: RgbFrame, amp: number, rand: () => number): RgbFrame {
  const data = new Uint8Array(base.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, base.data[i]! + Math.round((rand() * 2 - 1) * amp)));
  return { ...base, data };
}

function paste(bg: RgbFrame, fg: RgbFrame, x0: number, y0: number): RgbFrame {
  const data = new Uint8Array(bg.data);
  for (let y = 0; y < fg.height && y0 + y < bg.height; y++) {
    const w = Math.min(fg.width, bg.width - x0);
    data.set(fg.data.subarray(y * fg.width * 3, y * fg.width * 3 + w * 3), ((y0 + y) * bg.width + x0) * 3);
  }
  return { ...bg, data };
}

async function run(rt: VisionRuntime, frames: RgbFrame[], gating: boolean) {
  const an = new CameraAnalyser(rt, {
    id: 'bench-cam',
    site: 'bench',
    url: 'rtsp://unused',
    width: 320,
    height: 240,
    fps: 2,
    motion: { enabled: gating },
    scene: { zones: [{ id: 'fence', kind: 'restricted', polygon: [[200, 0], [320, 0], [320, 240], [200, 240]] }] },
  });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const [i, f] of frames.entries()) await an.process(f, 1_764_000_000_000 + i * 500);
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  return { fps: frames.length / s, cpuFps: frames.length / cpuS, analysed: an.stats.analysed, skipped: an.stats.skipped };
}

const rt = await loadRuntime({ logger: log });
const photo = async (f: string) => decodeJpeg(await readFile(join(IMAGES, f)), f);
const room = scaleFrame(await photo('background.jpg'), 320, 240);
const body = scaleFrame(await photo('ai-body.jpg'), 120, 120);
const rand = rng(8);
const quiet = Array.from({ length: FRAMES }, () => noisy(room, 4, rand));
const busy = Array.from({ length: FRAMES }, (_, i) => noisy(paste(room, body, Math.round((i * 190) / FRAMES), 100), 4, rand));

// Warm the kernels so the first measured frame is not the compile.
await run(rt, busy.slice(0, 5), false);

out(`backend: ${rt.backend} (${rt.reason}); ${FRAMES} frames per stream at 320x240; one process (the WASM backend runs single-threaded)`);
const rows: Array<[string, Awaited<ReturnType<typeof run>>]> = [];
// Each configuration twice, interleaved, keeping the faster: the machine is shared, and the slower run is someone else's load.
for (const [name, frames] of [['quiet', quiet], ['busy', busy]] as const) {
  for (const gating of [false, true]) rows.push([`${name} stream, gating ${gating ? 'on ' : 'off'}`, await run(rt, frames, gating)]);
}
for (const [i, frames] of [quiet, quiet, busy, busy].entries()) {
  const again = await run(rt, frames, i % 2 === 1);
  if (again.cpuFps > rows[i]![1].cpuFps) rows[i]![1] = again;
}
// Frames per CPU-second is frames per second per core, and stays put when other work shares the machine.
const ref = rows[0]![1].cpuFps;
out('stream                  frames/s wall  frames/s per core  analysed  skipped  skipped%  per core vs gating off (quiet)');
for (const [name, r] of rows) {
  out(
    `${name.padEnd(22)}  ${r.fps.toFixed(2).padStart(13)}  ${r.cpuFps.toFixed(2).padStart(17)}  ${String(r.analysed).padStart(8)}  ${String(r.skipped).padStart(7)}  ${((100 * r.skipped) / FRAMES).toFixed(0).padStart(7)}%  ${(r.cpuFps / ref).toFixed(2)}x`,
  );
}
const quietOn = rows[1]![1];
const busyOn = rows[3]![1];
const detectorFps = rows[2]![1].cpuFps;
out(`person detection (detector on every frame, busy stream): ${detectorFps.toFixed(2)} frames/s per core`);
out(
  `cameras at 2 fps per core: ${(quietOn.cpuFps / 2).toFixed(1)} quiet, ${(busyOn.cpuFps / 2).toFixed(1)} busy; ` +
    `a 2-core machine with one analytics process per core: ${quietOn.cpuFps.toFixed(0)} quiet or ${busyOn.cpuFps.toFixed(1)} busy (from per-core figures, not a two-process run)`,
);

// Faces.
const vlado = await photo('person-vlado.jpg');
const vlado5 = await photo('person-vlado5.jpg');
const cpuMs = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
let t = performance.now();
let c0 = process.cpuUsage();
const REPS = 5;
let template: FaceTemplate | undefined;
for (let i = 0; i < REPS; i++) template = (await enrolFace(rt, [vlado])).template;
const enrolMs = (performance.now() - t) / REPS;
const enrolCpuMs = cpuMs(c0) / REPS;
const probe = (await detectFaces(rt, vlado5))[0]!;
const shuffle = (v: number[], r: () => number) => {
  const a = [...v];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};
const r2 = rng(9);
const gallery = Array.from({ length: GALLERY - 1 }, (_, i) => ({
  id: `p-${i}`,
  // Other people: the probe's numbers shuffled, so each has the same spread but no likeness.
  template: { model: 'human-faceres' as const, descriptors: [shuffle(probe.descriptor, r2)] },
}));
gallery.push({ id: 'vlado', template: template! });
t = performance.now();
c0 = process.cpuUsage();
let faces = 0;
for (let i = 0; i < REPS; i++) faces += (await detectFaces(rt, vlado5)).length;
const describeMs = (performance.now() - t) / REPS;
const describeCpuMs = cpuMs(c0) / REPS;
t = performance.now();
const hit = identify(rt, probe.descriptor, gallery);
const matchMs = performance.now() - t;
out(`enrolment (one 1024x768 photo: detect, mesh, describe, quality checks): ${enrolMs.toFixed(0)} ms wall, ${enrolCpuMs.toFixed(0)} ms CPU`);
out(`identification: detect + describe ${describeMs.toFixed(0)} ms wall (${describeCpuMs.toFixed(0)} ms CPU) (${faces / REPS} face) + 1:${GALLERY} match ${matchMs.toFixed(1)} ms = ${(describeMs + matchMs).toFixed(0)} ms; best ${hit.scores[0]!.id} ${hit.scores[0]!.score.toFixed(3)}, next ${hit.scores[1]!.score.toFixed(3)}, ${hit.verdict.outcome}`);
out(`face verifications per second per core: ${(1000 / (describeCpuMs + matchMs / GALLERY)).toFixed(2)}; on 2 cores about ${(2000 / (describeCpuMs + matchMs / GALLERY)).toFixed(1)} (from the per-core figure)`);
