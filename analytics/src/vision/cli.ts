/**
 * vigil-vision: the video analytics process. Reads the cameras file, pulls
 * each camera's RTSP stream, raises alerts through the alert store (and
 * publishes them on the site's alerts topic when MQTT is set), keeps
 * detections and stream health in the database and snapshots on disk. With
 * MQTT, gate cameras (`gate.doors` in the cameras file) judge each card read
 * at their doors against the card holder's face (gate-watch.ts).
 *
 *   node --import tsx analytics/src/vision/cli.ts
 *
 * Settings: DATABASE_URL, VIGIL_VISION_CAMERAS_FILE, VIGIL_VISION_SNAPSHOT_DIR
 * (default data/snapshots), VIGIL_VISION_BACKEND (wasm | tensorflow; default:
 * tfjs-node if it loads, else wasm), VIGIL_VISION_FFMPEG (default: the
 * @ffmpeg-installer binary), VIGIL_MQTT_URL with VIGIL_MQTT_USERNAME /
 * VIGIL_MQTT_PASSWORD (optional). A bad setting exits 78 naming it.
 */
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import { alertsTopic, type Alert } from '@vigil/schemas';
import { ConfigError, createPool, optionalEnv, readConfigOrExit, requiredEnv, urlEnv } from '@vigil/ingest';
import { createLogger } from '../logger.js';
import { readCamerasFile } from './cameras-file.js';
import { startCamera, type CameraPipeline } from './camera.js';
import { listenForCardReads } from './gate-mqtt.js';
import { createGateWatch } from './gate-watch.js';
import { loadRuntime, type BackendName } from './runtime.js';
import { recordCameraMessage } from './store.js';

const log = createLogger('vision');

const config = readConfigOrExit(() => {
  const backend = optionalEnv('VIGIL_VISION_BACKEND');
  if (backend !== undefined && backend !== 'wasm' && backend !== 'tensorflow') {
    throw new ConfigError('VIGIL_VISION_BACKEND', `VIGIL_VISION_BACKEND must be wasm or tensorflow, got ${JSON.stringify(backend)} / 配置项 VIGIL_VISION_BACKEND：只能是 wasm 或 tensorflow`);
  }
  const camerasFile = requiredEnv('VIGIL_VISION_CAMERAS_FILE');
  let cameras;
  try {
    cameras = readCamerasFile(camerasFile);
  } catch (err) {
    throw new ConfigError('VIGIL_VISION_CAMERAS_FILE', `VIGIL_VISION_CAMERAS_FILE: ${(err as Error).message} / 配置项 VIGIL_VISION_CAMERAS_FILE：摄像头配置文件有误`);
  }
  const mqttUrl = optionalEnv('VIGIL_MQTT_URL') ? urlEnv('VIGIL_MQTT_URL', { protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:'] }) : undefined;
  return {
    databaseUrl: urlEnv('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'] }),
    cameras,
    snapshotDir: optionalEnv('VIGIL_VISION_SNAPSHOT_DIR', 'data/snapshots'),
    backend: backend as BackendName | undefined,
    ffmpeg: optionalEnv('VIGIL_VISION_FFMPEG') ?? (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path,
    mqtt: mqttUrl ? { url: mqttUrl, username: requiredEnv('VIGIL_MQTT_USERNAME'), password: requiredEnv('VIGIL_MQTT_PASSWORD') } : undefined,
  };
});

const pool = createPool(config.databaseUrl);
const client = config.mqtt ? mqtt.connect(config.mqtt.url, { username: config.mqtt.username, password: config.mqtt.password, clientId: 'vigil-vision', clean: true }) : undefined;
const publishAlert = (a: Alert) => void client?.publish(alertsTopic(a.site), JSON.stringify(a), { qos: 1 });
const rt = await loadRuntime({ backend: config.backend, logger: log });
const pipelines: CameraPipeline[] = config.cameras.map((cam) =>
  startCamera(rt, cam, {
    publish: (_topic, msg) => recordCameraMessage(pool, cam.site, msg),
    pool,
    onAlert: publishAlert,
    snapshotDir: config.snapshotDir,
    ffmpegPath: config.ffmpeg,
    logger: log,
  }),
);
const gateCameras = pipelines.flatMap((p, i) => (p.latest ? [{ cfg: config.cameras[i]!, frames: p.latest }] : []));
if (gateCameras.length > 0) {
  const watch = createGateWatch({ rt, pool, cameras: gateCameras, snapshotDir: config.snapshotDir, logger: log, onAlert: publishAlert });
  // Not awaited: the cameras run while the broker is away; mqtt.js subscribes once connected and again after each reconnect.
  if (client) listenForCardReads(client, watch, log).catch((err: unknown) => log.error({ err }, 'cannot subscribe to card reads'));
  else log.warn({ cameras: gateCameras.map((c) => c.cfg.id) }, 'gate cameras configured but VIGIL_MQTT_URL is not set: card reads cannot be judged');
}
process.stdout.write('VIGIL_VISION_READY\n');
log.info({ cameras: config.cameras.map((c) => c.id), backend: rt.backend }, 'video analytics running');

const stop = () => {
  Promise.all(pipelines.map((p) => p.stop()))
    .then(() => client?.endAsync())
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
