import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { FrameFormat, SceneFrames } from './scenes.js';

/**
 * One camera's encoder: an ffmpeg process that reads raw frames on stdin,
 * encodes H.264 (libx264, ultrafast, zero latency, a key frame every second)
 * and publishes them over RTSP/UDP. Frames are written at the camera's rate
 * from the current scene, so switching scene never restarts the encoder and
 * players keep their session.
 */
export class Publisher {
  private child?: ChildProcessByStdio<Writable, null, Readable>;
  private timer?: NodeJS.Timeout;
  private scene: SceneFrames;
  private index = 0;
  private startedAt = 0;
  private sent = 0;
  private exited?: Promise<void>;

  constructor(
    private readonly ffmpeg: string,
    private readonly url: string,
    private readonly format: FrameFormat,
    scene: SceneFrames,
    private readonly log: Logger,
    /** Called when ffmpeg exits without `stop()` (crash, refused ANNOUNCE). */
    private readonly onCrash: () => void,
  ) {
    this.scene = scene;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Show another scene from its start. */
  setScene(scene: SceneFrames): void {
    this.scene = scene;
    this.index = 0;
  }

  start(): void {
    if (this.child) return;
    const { width, height, fps } = this.format;
    // prettier-ignore
    const args = [
      '-hide_banner', '-loglevel', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-video_size', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
      '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
      '-g', String(fps), '-keyint_min', String(fps), '-pix_fmt', 'yuv420p', '-threads', '1',
      '-f', 'rtsp', '-rtsp_transport', 'udp', this.url,
    ];
    const child = spawn(this.ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 2000) stderr += b.toString();
    });
    child.stdin.on('error', () => undefined); // EPIPE when ffmpeg goes away; the exit handler reports it
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          this.stopTimer();
          this.log.warn({ code, signal, stderr: stderr.trim().slice(0, 500) }, 'camera encoder exited');
          this.onCrash();
        }
        resolve();
      });
    });
    this.index = 0;
    this.sent = 0;
    this.startedAt = Date.now();
    this.tick();
  }

  /** Stop publishing: end the input so ffmpeg finishes and sends TEARDOWN; killed if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.stopTimer();
    child.stdin.end();
    const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(killer);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Write the next frame, then schedule the one after on the wall clock (no drift). */
  private tick(): void {
    const child = this.child;
    if (!child) return;
    const { intro, loop } = this.scene;
    const frame = this.index < intro.length ? intro[this.index] : loop[(this.index - intro.length) % loop.length];
    this.index += 1;
    // Skip a frame when ffmpeg is behind rather than buffering without bound.
    if (frame && child.stdin.writableLength < 4 * frame.length) child.stdin.write(frame);
    this.sent += 1;
    const due = this.startedAt + (this.sent * 1000) / this.format.fps;
    this.timer = setTimeout(() => this.tick(), Math.max(0, due - Date.now()));
  }
}
