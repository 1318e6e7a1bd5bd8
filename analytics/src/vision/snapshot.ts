import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodeJpeg, type Box, type RgbFrame } from './image.js';

const RED: [number, number, number] = [255, 40, 40];

/** A copy of the frame with rectangles drawn (3 px, red). */
export function drawBoxes(frame: RgbFrame, boxes: Box[], color: [number, number, number] = RED, thickness = 3): RgbFrame {
  const out = new Uint8Array(frame.data);
  const { width: w, height: h } = frame;
  const put = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const i = (y * w + x) * 3;
    out[i] = color[0];
    out[i + 1] = color[1];
    out[i + 2] = color[2];
  };
  for (const b of boxes) {
    const x0 = Math.round(b.x);
    const y0 = Math.round(b.y);
    const x1 = Math.round(b.x + b.w);
    const y1 = Math.round(b.y + b.h);
    for (let t = 0; t < thickness; t++) {
      for (let x = x0; x <= x1; x++) {
        put(x, y0 + t);
        put(x, y1 - t);
      }
      for (let y = y0; y <= y1; y++) {
        put(x0 + t, y);
        put(x1 - t, y);
      }
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Store the evidence frame as JPEG (boxes drawn) under `dir`, and return the
 * reference kept in the message and the alert: `<camera>/<ts>-<n>.jpg`,
 * relative to `dir`, so the store can move without rewriting alerts.
 */
export async function saveEvidenceFrame(dir: string, camera: string, ts: number, n: number, frame: RgbFrame, boxes: Box[]): Promise<string> {
  const ref = `${camera}/${ts}-${n}.jpg`;
  const path = join(dir, ref);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodeJpeg(drawBoxes(frame, boxes), 80));
  return ref;
}
