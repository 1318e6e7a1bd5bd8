import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { BodyOf } from '@vigil/schemas';
import type { DriverLogger } from '../../driver.js';
import { ProgressParser, RateWindow, type ProgressBlock } from './progress.js';
import { redactIn, redactUrl } from './redact.js';

export type CamHealthBody = BodyOf<'cam.health'>;

export interface CameraStreamOptions {
  id: string;
  url: string;
  transport: 'udp' | 'tcp';
  ffmpeg: string;
  stallTimeoutMs: number;
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
  log: DriverLogger;
  /** Called when the stream goes online or offline (or its error changes). */
  onChange: (health: CamHealthBody) => void;
}

const FIRST_RETRY_MS = 500;
const ERROR_MAX = 256;

/**
 * Supervises one RTSP stream with an ffmpeg reader that copies the video
 * without decoding (`-c copy` to a null sink, so it costs little CPU) and
 * reports with `-progress`: frames and bytes every ~0.5 s give the frame rate,
 * the bit rate and the time of the last frame. No first frame within
 * `connectTimeoutMs`, no new frame for `stallTimeoutMs`, or ffmpeg exiting, makes the stream offline with the
 * reason; it is then reconnected with a doubling back-off (500 ms up to
 * `reconnectMaxDelayMs`), reset once frames flow again.
 */
export class CameraStream {
  private child?: ChildProcessByStdio<null, Readable, Readable>;
  private spawnedAt = 0;
  private lastFrame = 0;
  private lastFrameAt?: number;
  private online = false;
  private error?: string;
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private stopped = true;
  private readonly rates = new RateWindow(3000);

  constructor(private readonly opts: CameraStreamOptions) {}

  health(): CamHealthBody {
    const body: CamHealthBody = { online: this.online };
    const r = this.online ? this.rates.rates() : undefined;
    if (r) {
      body.fps = Math.min(240, Math.round(r.fps * 10) / 10);
      body.bitrate_kbps = Math.round(r.kbps * 10) / 10;
    }
    if (this.lastFrameAt !== undefined) body.last_frame_ts = this.lastFrameAt;
    if (!this.online && this.error) body.error = this.error;
    return body;
  }

  get isOnline(): boolean {
    return this.online;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.watchdog = setInterval(() => this.checkStall(), 250);
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    await this.kill();
  }

  private connect(): void {
    if (this.stopped) return;
    const { url, transport, ffmpeg } = this.opts;
    // prettier-ignore
    const args = [
      '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
      '-rtsp_transport', transport, '-analyzeduration', '1000000', '-i', url,
      '-map', '0:v:0', '-c', 'copy', '-flush_packets', '1', '-f', 'rawvideo', '-y', '/dev/null',
      '-progress', 'pipe:1',
    ];
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.spawnedAt = Date.now();
    this.lastFrame = 0;
    this.rates.reset();
    let stderr = '';
    const parser = new ProgressParser((b) => this.onProgress(child, b));
    child.stdout.setEncoding('utf8').on('data', (s: string) => parser.push(s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-2000);
    });
    child.once('error', (err) => this.fail(child, `ffmpeg could not start: ${err.message}`));
    child.once('close', (code, signal) => {
      const last = stderr.trim().split('\n').filter(Boolean).pop();
      this.fail(child, last ? `ffmpeg: ${last}` : `ffmpeg exited (${signal ?? `code ${code}`})`);
    });
    this.opts.log.debug({ camera: this.opts.id, url: redactUrl(url), attempt: this.attempt }, 'camera stream connecting');
  }

  private onProgress(child: ChildProcessByStdio<null, Readable, Readable>, b: ProgressBlock): void {
    if (child !== this.child || b.frame === undefined) return;
    const now = Date.now();
    if (b.frame > this.lastFrame) {
      this.lastFrame = b.frame;
      this.lastFrameAt = now;
    }
    this.rates.add(now, b.frame, b.totalSize ?? 0);
    if (!this.online && b.frame > 0) {
      this.online = true;
      this.error = undefined;
      this.attempt = 0;
      this.opts.log.info({ camera: this.opts.id }, 'camera stream online');
      this.opts.onChange(this.health());
    }
  }

  private checkStall(): void {
    if (!this.child) return;
    const now = Date.now();
    if (this.lastFrame === 0) {
      if (now - this.spawnedAt > this.opts.connectTimeoutMs) this.fail(this.child, `no frame within ${this.opts.connectTimeoutMs / 1000} s of connecting`);
    } else if (now - (this.lastFrameAt ?? this.spawnedAt) > this.opts.stallTimeoutMs) {
      this.fail(this.child, `no new frame for ${this.opts.stallTimeoutMs / 1000} s`);
    }
  }

  /** The current reader failed: offline with `reason`, and try again after the back-off. */
  private fail(child: ChildProcessByStdio<null, Readable, Readable>, reason: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const error = redactIn(reason, this.opts.url).slice(0, ERROR_MAX);
    const changed = this.online || this.error !== error;
    this.online = false;
    this.error = error;
    if (changed) {
      this.opts.log.warn({ camera: this.opts.id, error }, 'camera stream offline');
      this.opts.onChange(this.health());
    }
    if (this.stopped) return;
    const delay = Math.min(this.opts.reconnectMaxDelayMs, FIRST_RETRY_MS * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
