import type pg from 'pg';
import type { Logger } from 'pino';
import { deviceTopic, newMessage, type Alert, type MessageOf } from '@vigil/schemas';
import { raiseAlert } from '../alert-store.js';
import { analyseFrame, type AnalyseOptions, type FrameAnalysis } from './analyse.js';
import { detectionDraft, detectionMessage } from './alerts.js';
import { initialSceneState, stepScene, type SceneConfig, type SceneEvent, type SceneState } from './detections.js';
import { VisionError } from './errors.js';
import { startFrameSource, type FrameSource, type StreamHealth } from './frames.js';
import type { RgbFrame } from './image.js';
import { MotionGate, type MotionOptions } from './motion.js';
import type { VisionRuntime } from './runtime.js';
import { saveEvidenceFrame } from './snapshot.js';
import { Tracker, type TrackerOptions } from './tracker.js';
import { zoneProblem } from './zones.js';
import { LatestFrame } from './latest-frame.js';
import type { MatchThresholds } from '../biometrics/match.js';

/** One camera as configured in the registry. */
export interface CameraConfig {
  id: string;
  site: string;
  url: string;
  /** Analysed frame size; zones are in these pixels. */
  width: number;
  height: number;
  /** Frames per second sampled from the stream. */
  fps: number;
  scene: SceneConfig;
  motion?: MotionOptions & { enabled?: boolean };
  tracker?: TrackerOptions;
  analyse?: AnalyseOptions;
  transport?: 'tcp' | 'udp';
  /** A gate camera: the doors it watches; its newest frame is kept for card reads there. */
  gate?: GateCameraConfig;
}

/** What a gate camera watches and how its card reads are judged. */
export interface GateCameraConfig {
  /** Door ids (gate.access `door`) in view. */
  doors: string[];
  /** 1:1 and 1:N thresholds; default DEFAULT_THRESHOLDS of biometrics/match.ts. */
  thresholds?: MatchThresholds;
}

/** Counters of one camera. */
export interface CameraStats {
  frames: number;
  analysed: number;
  /** Skipped by motion gating (nothing moved). */
  skipped: number;
  /** Dropped because the detector was still busy with an earlier frame. */
  dropped: number;
  events: number;
}

/** Check a camera's settings; throws naming the field. */
export function checkCameraConfig(c: CameraConfig): void {
  const bad = (field: string, why: string) => {
    throw new VisionError('VIGIL_VISION_CONFIG', `camera ${c.id}: ${field} ${why}`, { field });
  };
  if (!(Number.isInteger(c.width) && c.width >= 32 && c.width <= 4096)) bad('width', 'must be a whole number from 32 to 4096');
  if (!(Number.isInteger(c.height) && c.height >= 32 && c.height <= 4096)) bad('height', 'must be a whole number from 32 to 4096');
  if (!(c.fps > 0 && c.fps <= 30)) bad('fps', 'must be above 0 and at most 30');
  for (const z of c.scene.zones) {
    const p = zoneProblem(z);
    if (p) bad('scene.zones', p);
  }
}

/**
 * Frame -> motion gate -> detector -> tracker -> scene rules. Frames where
 * nothing moved are not analysed: the tracks carry over (the scene is
 * unchanged), so timers such as "lying still for T" keep running.
 */
export class CameraAnalyser {
  readonly stats: CameraStats = { frames: 0, analysed: 0, skipped: 0, dropped: 0, events: 0 };
  private readonly gate: MotionGate | undefined;
  private readonly tracker: Tracker;
  private state: SceneState = initialSceneState();
  last: FrameAnalysis | undefined;

  constructor(
    private readonly rt: VisionRuntime,
    private readonly cfg: CameraConfig,
  ) {
    checkCameraConfig(cfg);
    this.gate = cfg.motion?.enabled === false ? undefined : new MotionGate(cfg.motion);
    this.tracker = new Tracker(cfg.tracker);
  }

  /** Process one frame; returns the conditions that started or ended on it. */
  async process(frame: RgbFrame, ts: number): Promise<SceneEvent[]> {
    this.stats.frames++;
    let tracks;
    if (this.gate && !this.gate.check(frame).moved) {
      this.stats.skipped++;
      tracks = this.tracker.carry(ts);
    } else {
      this.stats.analysed++;
      this.last = await analyseFrame(this.rt, frame, this.cfg.analyse);
      tracks = this.tracker.update(this.last.people, ts);
    }
    const r = stepScene(this.state, tracks, this.cfg.scene, ts);
    this.state = r.state;
    this.stats.events += r.events.length;
    return r.events;
  }
}

/** Where a camera's results go. */
export interface CameraOutputs {
  /** Publish a message (cam.detection, cam.health) on its topic. */
  publish: (topic: string, msg: MessageOf<'cam.detection'> | MessageOf<'cam.health'>) => void | Promise<void>;
  /** Raise and clear alerts through the alert store when given. */
  pool?: pg.Pool;
  onAlert?: (a: Alert) => void;
  /** Folder for JPEG evidence frames. */
  snapshotDir: string;
  ffmpegPath: string;
  logger: Logger;
  /** Reconnect and stall settings of the stream. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  stallMs?: number;
  healthIntervalMs?: number;
}

/** A running camera pipeline. */
export interface CameraPipeline {
  readonly analyser: CameraAnalyser;
  readonly source: FrameSource;
  /** The newest decoded frame, kept for gate cameras only. */
  readonly latest: LatestFrame | undefined;
  /** Resolves when the frames handed in so far are processed. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start one camera: ffmpeg pulls RTSP, the analyser runs on the frames (a
 * frame arriving while the detector is busy is dropped and counted), each
 * event becomes a cam.detection with a snapshot and an alert draft; stream
 * health becomes cam.health.
 */
export function startCamera(rt: VisionRuntime, cfg: CameraConfig, out: CameraOutputs): CameraPipeline {
  const analyser = new CameraAnalyser(rt, cfg);
  let seq = 0;
  let busy: Promise<void> = Promise.resolve();
  let running = false;
  const log = out.logger.child({ camera: cfg.id });
  const latest = cfg.gate ? new LatestFrame() : undefined;

  const emitHealth = (h: StreamHealth) => {
    const msg = newMessage('cam.health', cfg.id, ++seq, h, Date.now());
    void Promise.resolve(out.publish(deviceTopic(cfg.site, cfg.id, 'telemetry'), msg)).catch((err) => log.error({ err }, 'cannot publish cam.health'));
  };

  const handle = async (frame: RgbFrame, ts: number) => {
    const events = await analyser.process(frame, ts);
    for (const ev of events) {
      const n = ++seq;
      const ref = ev.active ? await saveEvidenceFrame(out.snapshotDir, cfg.id, ts, n, frame, ev.tracks.map((t) => t.box)) : undefined;
      const msg = detectionMessage(cfg.id, n, ev, ts, frame, ref);
      await out.publish(deviceTopic(cfg.site, cfg.id, 'event'), msg);
      if (out.pool) {
        const r = await raiseAlert(out.pool, detectionDraft(cfg.site, msg));
        if (r.alert) out.onAlert?.(r.alert);
      }
      log.info({ detection: ev.detection, zone: ev.zone, active: ev.active, people: ev.people, snapshot: ref }, 'video detection');
    }
  };

  const source = startFrameSource({
    url: cfg.url,
    width: cfg.width,
    height: cfg.height,
    fps: cfg.fps,
    transport: cfg.transport,
    ffmpegPath: out.ffmpegPath,
    initialBackoffMs: out.initialBackoffMs,
    maxBackoffMs: out.maxBackoffMs,
    stallMs: out.stallMs,
    healthIntervalMs: out.healthIntervalMs,
    logger: log,
    onHealth: emitHealth,
    onFrame: (frame, ts) => {
      latest?.put(frame, ts);
      if (running) {
        analyser.stats.dropped++;
        return;
      }
      running = true;
      busy = handle(frame, ts)
        .catch((err) => log.error({ err }, 'frame analysis failed'))
        .finally(() => {
          running = false;
        });
    },
  });

  return {
    analyser,
    source,
    latest,
    idle: () => busy,
    async stop() {
      await source.stop();
      await busy;
    },
  };
}
