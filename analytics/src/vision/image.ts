import jpeg from 'jpeg-js';
import { VisionError } from './errors.js';
import type { Tf } from './runtime.js';

/** One frame as packed 8-bit RGB (ffmpeg's rgb24), row by row. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A box in pixels of the frame it was found in. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Decode a JPEG into RGB (jpeg-js: pure JavaScript, maintained, no native build). */
export function decodeJpeg(buf: Uint8Array, field = 'image'): RgbFrame {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
  } catch (err) {
    throw new VisionError('VIGIL_VISION_IMAGE', `${field}: not a JPEG image (${err instanceof Error ? err.message : String(err)})`, { cause: err, field });
  }
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < img.data.length; i += 4) {
    rgb[j++] = img.data[i]!;
    rgb[j++] = img.data[i + 1]!;
    rgb[j++] = img.data[i + 2]!;
  }
  return { width: img.width, height: img.height, data: rgb };
}

/** Encode RGB as JPEG. */
export function encodeJpeg(frame: RgbFrame, quality = 80): Buffer {
  const rgba = Buffer.alloc(frame.width * frame.height * 4);
  for (let i = 0, j = 0; i < frame.data.length; i += 3) {
    rgba[j++] = frame.data[i]!;
    rgba[j++] = frame.data[i + 1]!;
    rgba[j++] = frame.data[i + 2]!;
    rgba[j++] = 255;
  }
  return jpeg.encode({ width: frame.width, height: frame.height, data: rgba }, quality).data;
}

/** The frame turned a quarter clockwise (a standing person becomes one lying down). */
export function rotate90(frame: RgbFrame): RgbFrame {
  const { width: w, height: h, data } = frame;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * 3;
      const dst = (x * h + (h - 1 - y)) * 3;
      out[dst] = data[src]!;
      out[dst + 1] = data[src + 1]!;
      out[dst + 2] = data[src + 2]!;
    }
  }
  return { width: h, height: w, data: out };
}

/** Nearest-neighbour scale to `width` x `height` (tests and benchmarks; the camera pipeline lets ffmpeg scale). */
export function scaleFrame(frame: RgbFrame, width: number, height: number): RgbFrame {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(frame.height - 1, Math.floor((y * frame.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(frame.width - 1, Math.floor((x * frame.width) / width));
      const s = (sy * frame.width + sx) * 3;
      const d = (y * width + x) * 3;
      out[d] = frame.data[s]!;
      out[d + 1] = frame.data[s + 1]!;
      out[d + 2] = frame.data[s + 2]!;
    }
  }
  return { width, height, data: out };
}

/** The frame as an int32 [1, h, w, 3] tensor for Human. The caller disposes it. */
export function frameToTensor(tf: Tf, frame: RgbFrame): unknown {
  if (frame.data.length !== frame.width * frame.height * 3) {
    throw new VisionError('VIGIL_VISION_IMAGE', `frame: ${frame.data.length} bytes is not ${frame.width}x${frame.height} RGB`, { field: 'frame' });
  }
  return tf.tensor4d(frame.data, [1, frame.height, frame.width, 3], 'int32');
}
