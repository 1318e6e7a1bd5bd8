import { spawn } from 'node:child_process';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { CameraSimError } from './errors.js';

/**
 * The ffmpeg binary shipped by `@ffmpeg-installer/ffmpeg` (a static build with
 * libx264), so the simulator needs no system ffmpeg.
 */
export function bundledFfmpeg(): string {
  return ffmpegInstaller.path;
}

/** Run ffmpeg to completion and return what it wrote to stdout. */
export function runFfmpeg(ffmpeg: string, args: readonly string[], timeoutMs = 60_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 4000) err += b.toString();
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new CameraSimError('VIGIL_SIM_CAMERA_FFMPEG', `ffmpeg could not start: ${e.message}`, { cause: e }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new CameraSimError('VIGIL_SIM_CAMERA_FFMPEG', `ffmpeg failed (${signal ?? `exit ${code}`}): ${err.trim().slice(0, 500)}`));
    });
  });
}
