import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { RgbFrame } from './image.js';

/** Health of the stream, shaped like the cam.health body. */
export interface StreamHealth {
  online: boolean;
  fps?: number;
  last_frame_ts?: number;
  error?: string;
}

/** Settings of one RTSP frame source. */
export interface FrameSourceOptions {
  url: string;
  /** Frames are scaled to this size (pixels). */
  width: number;
  height: number;
  /** Frames per second handed on (ffmpeg's fps filter drops the rest). */
  fps: number;
  ffmpegPath: string;
  /** RTSP lower transport: `tcp` for most cameras, `udp` for servers that refuse interleaving. Default tcp. */
  transport?: 'tcp' | 'udp';
  /** First reconnect delay; doubles to `maxBackoffMs`; back to the first after a frame arrives. Default 1000. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** No frame for this long: the stream is declared down and ffmpeg restarted. Default 10000. */
  stallMs?: number;
  /** How often cam.health is reported while online. Default 30000. */
  healthIntervalMs?: number;
  onFrame: (frame: RgbFrame, ts: number) => void;
  onHealth: (h: StreamHealth) => void;
  logger: Logger;
  now?: () => number;
}

/** A running source. */
export interface FrameSource {
  readonly stats: { frames: number; reconnects: number };
  stop(): Promise<void>;
}

/**
 * Pull an RTSP stream with ffmpeg and hand on raw rgb24 frames at a set rate
 * and size. A stream that ends, fails or stalls is reported offline as
 * cam.health and reconnected with exponential backoff.
 */
export function startFrameSource(o: FrameSourceOptions): FrameSource {
  const now = o.now ?? Date.now;
  const frameBytes = o.width * o.height * 3;
  const initial = o.initialBackoffMs ?? 1000;
  const maxBackoff = o.maxBackoffMs ?? 30_000;
  const stallMs = o.stallMs ?? 10_000;
  const stats = { frames: 0, reconnects: 0 };
  let backoff = initial;
  let child: ChildProcess | undefined;
  let stopped = false;
  let online = false;
  let lastFrameTs = 0;
  /** When ffmpeg was started: a connection that never yields a frame also stalls. */
  let startedTs = 0;
  /** Offline already said since the last frame (a camera that never comes up is reported once, not per retry). */
  let offlineReported = false;
  let framesSinceHealth = 0;
  let healthSince = 0;
  let retry: NodeJS.Timeout | undefined;
  let stderrTail = '';

  const health = setInterval(() => {
    if (!online) return;
    const t = now();
    const fps = healthSince ? (framesSinceHealth * 1000) / Math.max(1, t - healthSince) : undefined;
    o.onHealth({ online: true, fps: fps !== undefined ? Math.round(fps * 100) / 100 : undefined, last_frame_ts: lastFrameTs });
    framesSinceHealth = 0;
    healthSince = t;
  }, o.healthIntervalMs ?? 30_000);
  health.unref();

  const watchdog = setInterval(() => {
    if (child && now() - Math.max(lastFrameTs, startedTs) > stallMs) {
      o.logger.warn({ url: o.url }, 'camera stream stalled; restarting ffmpeg');
      stderrTail = `no frame for ${stallMs} ms`;
      child.kill('SIGKILL');
    }
  }, Math.min(1000, stallMs));
  watchdog.unref();

  const down = (error: string) => {
    if (online || !offlineReported) o.onHealth({ online: false, error: error.slice(0, 256) || 'stream failed', ...(lastFrameTs ? { last_frame_ts: lastFrameTs } : {}) });
    offlineReported = true;
    online = false;
    if (stopped) return;
    stats.reconnects++;
    o.logger.warn({ url: o.url, retryInMs: backoff, error }, 'camera stream down');
    retry = setTimeout(connect, backoff);
    backoff = Math.min(maxBackoff, backoff * 2);
  };

  function connect(): void {
    if (stopped) return;
    stderrTail = '';
    startedTs = now();
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-rtsp_transport', o.transport ?? 'tcp',
      '-i', o.url,
      '-an', '-vf', `fps=${o.fps},scale=${o.width}:${o.height}`,
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ];
    const c = spawn(o.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    c.stdout!.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= frameBytes) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        const frame = new Uint8Array(all.subarray(0, frameBytes));
        const rest = all.subarray(frameBytes);
        pending = rest.length ? [rest] : [];
        pendingBytes = rest.length;
        const ts = now();
        lastFrameTs = ts;
        stats.frames++;
        framesSinceHealth++;
        if (!online) {
          online = true;
          offlineReported = false;
          backoff = initial;
          healthSince = ts;
          framesSinceHealth = 1;
          o.onHealth({ online: true, last_frame_ts: ts });
          o.logger.info({ url: o.url }, 'camera stream up');
        }
        o.onFrame({ width: o.width, height: o.height, data: frame }, ts);
      }
    });
    c.stderr!.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-400);
    });
    c.on('error', (err) => {
      stderrTail = err.message;
    });
    c.on('close', (code) => {
      if (child === c) child = undefined;
      down(stderrTail.trim() || `ffmpeg exited with code ${code}`);
    });
  }

  connect();
  return {
    stats,
    async stop() {
      stopped = true;
      clearInterval(health);
      clearInterval(watchdog);
      if (retry) clearTimeout(retry);
      const c = child;
      if (c && c.exitCode === null) {
        await new Promise<void>((resolve) => {
          c.once('close', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 2000).unref();
        });
      }
    },
  };
}
