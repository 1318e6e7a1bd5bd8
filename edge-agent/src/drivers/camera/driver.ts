import { resolve, join } from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import type { CommandOutcome, Driver, DriverContext } from '../../driver.js';
import type { RtspCameraConfig } from './config.js';
import { takeSnapshot } from './snapshot.js';
import { CameraStream, type CamHealthBody } from './stream.js';

const DEFAULTS = { healthIntervalMs: 10_000, stallTimeoutMs: 5000, connectTimeoutMs: 10_000, reconnectMaxDelayMs: 30_000, snapshotTimeoutMs: 15_000 } as const;

interface Camera {
  id: string;
  url: string;
  transport: 'udp' | 'tcp';
  stream: CameraStream;
}

/**
 * `rtsp-camera`: one device per camera. Each stream is supervised by its own
 * ffmpeg reader; `cam.health` (online, fps, bit rate, last frame time, and
 * the error while offline) is emitted for every camera every
 * `healthIntervalMs` and at once when a camera goes online or offline.
 * Command `snapshot` stores one JPEG under `snapshotDir/<camera>/` and returns
 * its path, bytes, sha256, width and height.
 */
export class RtspCameraDriver implements Driver {
  readonly #ctx: DriverContext;
  readonly #cameras = new Map<string, Camera>();
  readonly #ffmpeg: string;
  readonly #snapshotDir: string;
  readonly #healthIntervalMs: number;
  readonly #snapshotTimeoutMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #emits = new Set<Promise<void>>();

  constructor(config: RtspCameraConfig, ctx: DriverContext) {
    this.#ctx = ctx;
    this.#ffmpeg = config.ffmpegPath ?? ffmpegInstaller.path;
    this.#snapshotDir = resolve(config.snapshotDir);
    this.#healthIntervalMs = config.healthIntervalMs ?? DEFAULTS.healthIntervalMs;
    this.#snapshotTimeoutMs = config.snapshotTimeoutMs ?? DEFAULTS.snapshotTimeoutMs;
    for (const [i, cam] of config.cameras.entries()) {
      if (this.#cameras.has(cam.id)) throw new Error(`cameras[${i}].id: camera ${cam.id} is listed twice / 摄像头 ${cam.id} 重复`);
      const transport = cam.transport ?? 'udp';
      const stream = new CameraStream({
        id: cam.id,
        url: cam.url,
        transport,
        ffmpeg: this.#ffmpeg,
        stallTimeoutMs: config.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
        connectTimeoutMs: config.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
        reconnectMaxDelayMs: config.reconnectMaxDelayMs ?? DEFAULTS.reconnectMaxDelayMs,
        log: ctx.log,
        onChange: (health) => {
          this.#emit(cam.id, health);
          this.#reportState();
        },
      });
      this.#cameras.set(cam.id, { id: cam.id, url: cam.url, transport, stream });
    }
  }

  devices(): readonly string[] {
    return [...this.#cameras.keys()];
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#ctx.setState('starting', `${this.#cameras.size} camera(s) connecting / 摄像头连接中`);
    for (const cam of this.#cameras.values()) cam.stream.start();
    this.#timer = setInterval(() => {
      for (const cam of this.#cameras.values()) this.#emit(cam.id, cam.stream.health());
    }, this.#healthIntervalMs);
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#timer);
    await Promise.all([...this.#cameras.values()].map((c) => c.stream.stop()));
    await Promise.allSettled([...this.#emits]);
    this.#ctx.setState('stopped');
  }

  async command(device: string, name: string, _args: Record<string, unknown>): Promise<CommandOutcome> {
    const cam = this.#cameras.get(device);
    if (!cam) return { status: 'refused', detail: `unknown camera ${device} / 未知摄像头 ${device}` };
    if (name !== 'snapshot') return { status: 'refused', detail: `unknown command ${name} (known: snapshot) / 未知命令 ${name}` };
    const shot = await takeSnapshot({ ffmpeg: this.#ffmpeg, url: cam.url, transport: cam.transport, dir: join(this.#snapshotDir, cam.id), timeoutMs: this.#snapshotTimeoutMs });
    this.#ctx.log.info({ camera: device, path: shot.path, bytes: shot.bytes }, 'camera snapshot stored');
    return { status: 'ok', detail: `snapshot ${shot.width}x${shot.height} stored / 抓拍已保存`, result: { ...shot } };
  }

  #emit(device: string, body: CamHealthBody): void {
    if (!this.#running) return;
    const p = this.#ctx.emit(device, 'cam.health', body).catch((err: unknown) => {
      this.#ctx.log.error({ camera: device, err }, 'cam.health could not be queued');
    });
    this.#emits.add(p);
    void p.finally(() => this.#emits.delete(p));
  }

  #reportState(): void {
    if (!this.#running) return;
    const cams = [...this.#cameras.values()];
    const up = cams.filter((c) => c.stream.isOnline).length;
    if (up === cams.length) this.#ctx.setState('up', `${up}/${cams.length} cameras online / 摄像头在线`);
    else if (up > 0) this.#ctx.setState('degraded', `${up}/${cams.length} cameras online / 摄像头在线`);
    else this.#ctx.setState('down', `no camera online / 无摄像头在线`);
  }
}
