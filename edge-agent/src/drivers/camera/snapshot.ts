import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jpegSize } from './jpeg.js';
import { redactIn } from './redact.js';

export interface SnapshotOptions {
  ffmpeg: string;
  url: string;
  transport: 'udp' | 'tcp';
  /** Folder of this camera's snapshots. */
  dir: string;
  timeoutMs: number;
}

export interface Snapshot {
  path: string;
  bytes: number;
  sha256: string;
  width: number;
  height: number;
  /** When the frame was grabbed (epoch ms). */
  ts: number;
}

let counter = 0;

/** Decode one frame of the stream (the first after a key frame) into a JPEG, in memory. */
function grabJpeg(opts: SnapshotOptions): Promise<Buffer> {
  // prettier-ignore
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-rtsp_transport', opts.transport, '-analyzeduration', '1000000', '-i', opts.url,
    '-map', '0:v:0', '-frames:v', '1', '-an', '-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '3',
    '-f', 'image2pipe', 'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(opts.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-2000);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`ffmpeg could not start: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(out);
      if (code === 0 && jpeg.length > 0) return resolve(jpeg);
      const last = stderr.trim().split('\n').filter(Boolean).pop();
      const why = timedOut ? `no frame within ${opts.timeoutMs / 1000} s` : (last ?? `ffmpeg exited with code ${code}`);
      reject(new Error(redactIn(`snapshot failed: ${why} / 抓拍失败`, opts.url).slice(0, 500)));
    });
  });
}

/**
 * Grab one frame as a JPEG and store it as `<dir>/<UTC time>-<n>.jpg`
 * (written to a temporary name, then renamed, so a reader never sees half a
 * file). Returns where it is and what it is: size, SHA-256, width and height
 * read back from the JPEG's frame header.
 */
export async function takeSnapshot(opts: SnapshotOptions): Promise<Snapshot> {
  const jpeg = await grabJpeg(opts);
  const ts = Date.now();
  const size = jpegSize(jpeg);
  if (!size) throw new Error('snapshot failed: ffmpeg did not return a JPEG / 抓拍失败：不是 JPEG 图像');
  await mkdir(opts.dir, { recursive: true });
  counter = (counter + 1) % 1_000_000;
  const name = `${new Date(ts).toISOString().replace(/[:.]/g, '-')}-${process.pid}-${counter}.jpg`;
  const path = join(opts.dir, name);
  await writeFile(`${path}.part`, jpeg);
  await rename(`${path}.part`, path);
  return { path, bytes: jpeg.length, sha256: createHash('sha256').update(jpeg).digest('hex'), width: size.width, height: size.height, ts };
}
