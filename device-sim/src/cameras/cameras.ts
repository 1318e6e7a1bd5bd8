import type { Logger } from 'pino';
import { isValidId } from '@vigil/schemas';
import { createLogger } from '../logger.js';
import { CameraSimError } from './errors.js';
import { bundledFfmpeg } from './ffmpeg.js';
import { Publisher } from './publisher.js';
import { DEFAULT_FRAMES_DIR, SceneRenderer, isScene, type FrameFormat, type Scene } from './scenes.js';
import { startRtspServer, type SimRtspServer } from './server.js';

/** One simulated camera: its id is also its stream path. */
export interface CameraSpec {
  id: string;
  scene: Scene;
}

export interface CameraSimOptions {
  cameras: readonly CameraSpec[];
  /** RTSP port players connect to; 0 picks a free one. */
  port: number;
  /** Address to serve players on; default loopback. */
  host?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** Folder with the fixture photos; default `../shared/fixtures/images` beside the project. */
  framesDir?: string;
  /** ffmpeg binary; default the one shipped by `@ffmpeg-installer/ffmpeg`. */
  ffmpegPath?: string;
  rtpPortStart?: number;
  logger?: Logger;
}

/** What a camera is doing now. */
export interface CameraStatus {
  id: string;
  scene: Scene;
  streaming: boolean;
  url: string;
}

/** Running simulated cameras behind one RTSP server. */
export interface CameraSim {
  readonly port: number;
  readonly format: FrameFormat;
  /** Play URL of a camera. */
  url(id: string): string;
  status(): CameraStatus[];
  /** Show another scene (the stream and its players carry on). */
  setScene(id: string, scene: Scene): Promise<void>;
  /** Stop a camera's stream: its path disappears and players get nothing. */
  stopStream(id: string): Promise<void>;
  /** Start a stopped stream again. */
  startStream(id: string): Promise<void>;
  /** Stop a stream for `durationMs`, then start it again by itself; resolves once it is down. */
  drop(id: string, durationMs: number): Promise<void>;
  close(): Promise<void>;
}

const LIMITS = { width: [64, 1920], height: [48, 1080], fps: [1, 30] } as const;

function checkFormat(name: keyof typeof LIMITS, value: number): number {
  const [min, max] = LIMITS[name];
  const even = name === 'fps' || value % 2 === 0;
  if (!Number.isInteger(value) || value < min || value > max || !even) {
    const what = name === 'fps' ? `an integer from ${min} to ${max}` : `an even integer from ${min} to ${max}`;
    const zh = name === 'fps' ? `${min} 到 ${max} 之间的整数` : `${min} 到 ${max} 之间的偶数`;
    throw new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `${name} must be ${what}, got ${value} / ${name} 必须是${zh}，当前为 ${value}`);
  }
  return value;
}

interface CameraState {
  spec: CameraSpec;
  publisher: Publisher;
  /** Wanted on air (false while stopped or dropped). */
  wanted: boolean;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Simulated RTSP cameras: H.264 made by ffmpeg from the fixture photos,
 * one stream path per camera (`rtsp://host:port/<id>`), scenes switchable and
 * streams droppable at run time for scenarios and tests.
 */
export async function startCameras(opts: CameraSimOptions): Promise<CameraSim> {
  const log = opts.logger ?? createLogger('cameras');
  const format: FrameFormat = {
    width: checkFormat('width', opts.width ?? 640),
    height: checkFormat('height', opts.height ?? 480),
    fps: checkFormat('fps', opts.fps ?? 10),
  };
  const seen = new Set<string>();
  for (const [i, cam] of opts.cameras.entries()) {
    if (!isValidId(cam.id)) throw new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `cameras[${i}].id is not a valid id: ${JSON.stringify(cam.id)} / cameras[${i}].id 不是有效的编号`);
    if (seen.has(cam.id)) throw new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `cameras[${i}].id is used twice: ${cam.id} / cameras[${i}].id 重复：${cam.id}`);
    if (!isScene(cam.scene)) throw new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `cameras[${i}].scene is unknown: ${JSON.stringify(cam.scene)} / cameras[${i}].scene 未知`);
    seen.add(cam.id);
  }
  const ffmpeg = opts.ffmpegPath ?? bundledFfmpeg();
  const renderer = new SceneRenderer(ffmpeg, opts.framesDir ?? DEFAULT_FRAMES_DIR, format);
  let server: SimRtspServer | undefined;
  const cams = new Map<string, CameraState>();
  let closed = false;
  try {
    // Render every scene in use before going on air, so a bad photo folder fails at start.
    for (const cam of opts.cameras) await renderer.render(cam.scene);
    server = await startRtspServer({ port: opts.port, host: opts.host ?? '127.0.0.1', rtpPortStart: opts.rtpPortStart });
  } catch (err) {
    await renderer.close();
    throw err;
  }
  const rtsp = server;

  const get = (id: string): CameraState => {
    const cam = cams.get(id);
    if (!cam) throw new CameraSimError('VIGIL_SIM_CAMERA_UNKNOWN', `unknown camera ${JSON.stringify(id)} / 未知摄像头 ${JSON.stringify(id)}`);
    return cam;
  };
  const goLive = (cam: CameraState) => {
    if (closed || !cam.wanted || cam.publisher.running) return;
    rtsp.unpublish(cam.spec.id); // a publisher that died without TEARDOWN leaves its path behind
    cam.publisher.start();
  };
  for (const spec of opts.cameras) {
    const frames = await renderer.render(spec.scene);
    const onCrash = () => {
      rtsp.unpublish(spec.id);
      clearTimeout(cam.restartTimer);
      cam.restartTimer = setTimeout(() => goLive(cam), 1000);
    };
    const cam: CameraState = {
      spec: { ...spec },
      wanted: true,
      publisher: new Publisher(ffmpeg, rtsp.publishUrl(spec.id), format, frames, log.child({ camera: spec.id }), onCrash),
    };
    cams.set(spec.id, cam);
    goLive(cam);
  }
  const stop = async (cam: CameraState) => {
    cam.wanted = false;
    clearTimeout(cam.restartTimer);
    await cam.publisher.stop();
    rtsp.unpublish(cam.spec.id);
  };
  /** Resolve once a camera's stream can be played (its encoder has announced and is recording). */
  const onAir = async (cam: CameraState) => {
    const deadline = Date.now() + 10_000;
    while (!rtsp.isPublished(cam.spec.id)) {
      if (Date.now() > deadline) throw new CameraSimError('VIGIL_SIM_CAMERA_RTSP', `camera ${cam.spec.id} did not go on air within 10 s / 摄像头 ${cam.spec.id} 10 秒内未能推流`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await Promise.all([...cams.values()].map(onAir));
  } catch (err) {
    closed = true;
    for (const cam of cams.values()) await stop(cam);
    await rtsp.close();
    await renderer.close();
    throw err;
  }
  log.info({ port: rtsp.port, cameras: opts.cameras, ...format }, 'simulated cameras on air');

  return {
    port: rtsp.port,
    format,
    url: (id) => rtsp.url(get(id).spec.id),
    status: () => [...cams.values()].map((c) => ({ id: c.spec.id, scene: c.spec.scene, streaming: c.publisher.running, url: rtsp.url(c.spec.id) })),
    async setScene(id, scene) {
      const cam = get(id);
      if (!isScene(scene)) throw new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `scene is unknown: ${JSON.stringify(scene)} / 场景未知`);
      cam.publisher.setScene(await renderer.render(scene));
      cam.spec.scene = scene;
      log.info({ camera: id, scene }, 'camera scene switched');
    },
    async stopStream(id) {
      await stop(get(id));
      log.info({ camera: id }, 'camera stream stopped');
    },
    async startStream(id) {
      const cam = get(id);
      clearTimeout(cam.restartTimer);
      cam.wanted = true;
      goLive(cam);
      await onAir(cam);
      log.info({ camera: id }, 'camera stream started');
    },
    async drop(id, durationMs) {
      const cam = get(id);
      if (!Number.isFinite(durationMs) || durationMs < 0) throw new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `durationMs must be a non-negative number, got ${durationMs} / durationMs 必须是非负数`);
      await stop(cam);
      cam.restartTimer = setTimeout(() => {
        cam.wanted = true;
        goLive(cam);
        log.info({ camera: id }, 'camera stream back after drop');
      }, durationMs);
      log.info({ camera: id, durationMs }, 'camera stream dropped');
    },
    async close() {
      if (closed) return;
      for (const cam of cams.values()) await stop(cam);
      closed = true;
      await rtsp.close();
      await renderer.close();
    },
  };
}
