/**
 * `npm run bench:recapture`: does the anti-spoofing model score a photo of a
 * photo lower? The fixtures hold no real re-capture (a picture of a screen or
 * a print), so this makes simulated ones with ffmpeg from each portrait: the
 * picture shown at half resolution on a screen with an RGB sub-pixel stripe,
 * photographed slightly rotated (moiré), with the screen's gamma, contrast and
 * saturation, lens blur and sensor noise, saved as JPEG. Prints the model's
 * "real" and liveness scores of each original beside its re-capture, and how
 * many re-captures scored lower. A measurement of the model, not a pass/fail.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { decodeJpeg, detectFaces, loadRuntime } from '@vigil/analytics';

const IMAGES = join(import.meta.dirname, '../../shared/fixtures/images');
const PORTRAITS = ['person-vlado.jpg', 'person-vlado1.jpg', 'person-vlado5.jpg', 'person-celeste.jpg', 'person-linda.jpg'];
const ffmpeg = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const stripe = (c: 'r' | 'g' | 'b', k: number) => `${c}='${c}(X\\,Y)*(0.55+0.45*eq(mod(X\\,3)\\,${k}))'`;
const SCREEN = [
  'scale=trunc(iw/4)*2:trunc(ih/4)*2',
  'scale=iw*2:ih*2:flags=neighbor',
  `geq=${stripe('r', 0)}:${stripe('g', 1)}:${stripe('b', 2)}`,
  'rotate=0.02',
  'eq=gamma=1.15:contrast=0.85:saturation=1.25',
  'gblur=sigma=0.8',
  'noise=alls=6:allf=t',
].join(',');

const dir = await mkdtemp(join(tmpdir(), 'vigil-recapture-'));
try {
  const rt = await loadRuntime({ body: false, logger: pino({ level: 'silent' }) });
  const rows: string[][] = [['photo', 'real (original)', 'real (re-captured)', 'live (original)', 'live (re-captured)']];
  let lower = 0;
  for (const f of PORTRAITS) {
    const out = join(dir, f);
    await promisify(execFile)(ffmpeg, ['-loglevel', 'error', '-y', '-i', join(IMAGES, f), '-vf', SCREEN, '-q:v', '3', out]);
    const [a] = await detectFaces(rt, decodeJpeg(await readFile(join(IMAGES, f)), f));
    const [b] = await detectFaces(rt, decodeJpeg(await readFile(out), `${f} re-captured`));
    if (!a || !b) throw new Error(`${f}: no face in the ${a ? 're-capture' : 'original'}`);
    if ((b.real ?? 0) < (a.real ?? 0)) lower++;
    const s = (v: number | undefined) => (v ?? Number.NaN).toFixed(2);
    rows.push([f, s(a.real), s(b.real), s(a.live), s(b.live)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  process.stdout.write(`\nAnti-spoofing on simulated re-captures (${rt.backend}):\n\n`);
  process.stdout.write(`${rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n')}\n`);
  process.stdout.write(`\nRe-captures scored lower than their original: ${lower} of ${PORTRAITS.length}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
