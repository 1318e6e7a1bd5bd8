import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { registerDevice } from '@vigil/broker';
import { DEFAULT_FRAMES_DIR, DEMO, seedDemo, seedPrison } from '@vigil/device-sim';
import { createPool } from '@vigil/ingest';
import { seedDemoPeople, type DemoPeople } from './demo-people.js';
import { ensureDevPki } from './dev-pki.js';
import { cameraSimArgs, prepareDemoCameras } from './demo-cameras.js';
import { ROOT, startServiceProcess, type LineSink, type ServiceProcess } from './service-process.js';

/** What to start, and where. Port 0 picks a free port. */
export interface StackOptions {
  httpPort: number;
  httpHost: string;
  mqttPort: number;
  /** MQTT over TLS, with the demo CA kept in `pkiDir`; unset = off. */
  mqttTlsPort?: number;
  /** MQTT over WebSocket; unset = off. */
  mqttWsPort?: number;
  /** Where the demo CA and the broker's certificate live. */
  pkiDir?: string;
  dbPort: number;
  /** Use this server instead of the embedded database. */
  databaseUrl?: string;
  /** Where the embedded database keeps its files (default ./data/pg); the broker keeps its sessions in `broker.sqlite` beside this folder. */
  dataDir?: string;
  /** Run the demo tag simulator. */
  simulator: boolean;
  simFixIntervalMs: number;
  /** Run two simulated RTSP cameras of the demo prison and vigil-vision on them (CPU: ffmpeg and the detector). */
  cameras?: boolean;
  /** Where vigil-vision keeps detection snapshots and the command centre serves them from; default ./data/snapshots. */
  snapshotDir?: string;
  publicDir?: string;
  /** Prometheus /metrics and /healthz of the broker and ingest, shown on the command centre's health page; unset = off. */
  metricsPorts?: { broker: number; ingest: number };
  sink: LineSink;
}

/** A running Vigil. */
export interface Stack {
  databaseUrl: string;
  mqttUrl: string;
  httpUrl: string;
  mqttPort: number;
  httpPort: number;
  /** The secret of the demo tags (each stored hashed in the registry). */
  tagSecret: string;
  /** The demo officers (users who can sign in) and, on the run that created them, their first password. */
  demoPeople: DemoPeople;
  /** The demo cameras and vigil-vision run (asked for, and the fixture photos their streams are made from are there). */
  cameras: boolean;
  services: ServiceProcess[];
  stop(): Promise<void>;
}

const secret = () => randomBytes(24).toString('base64url');

/**
 * Start every service as its own process, in dependency order: database,
 * demo registry, broker, ingest, analytics, command centre, (cameras and
 * video analytics,) simulator.
 * Stops in reverse order; if any step fails, what started is stopped.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const services: ServiceProcess[] = [];
  const stop = async () => {
    for (const s of [...services].reverse()) await s.stop();
  };
  const start = async (name: string, entry: string, readyMarker: string, env: Record<string, string>, args?: string[]) => {
    const s = await startServiceProcess({ name, entry, env, readyMarker, timeoutMs: 90_000, sink: opts.sink, ...(args ? { args } : {}) });
    services.push(s);
    return s;
  };
  try {
    let databaseUrl = opts.databaseUrl;
    if (!databaseUrl) {
      const env: Record<string, string> = { VIGIL_DB_PORT: String(opts.dbPort) };
      if (opts.dataDir) env.VIGIL_DATA_DIR = opts.dataDir;
      databaseUrl = (await start('db', 'ingest/src/db-main.ts', 'VIGIL_DB_READY', env)).ready;
    }
    const tagSecret = secret();
    let demoPeople: DemoPeople = { officers: [], officerPassword: null };
    const pool = createPool(databaseUrl);
    try {
      await seedDemo(pool, DEMO, tagSecret, registerDevice);
      await seedPrison(pool, registerDevice);
      demoPeople = await seedDemoPeople(pool, DEMO);
    } finally {
      await pool.end();
    }
    const secrets = { ingest: secret(), analytics: secret(), commandCenter: secret() };
    const listeners: Record<string, string> = {};
    if (opts.mqttTlsPort !== undefined) {
      if (!opts.pkiDir) throw new Error('mqttTlsPort needs pkiDir');
      const pki = ensureDevPki(opts.pkiDir);
      Object.assign(listeners, {
        VIGIL_MQTT_TLS_PORT: String(opts.mqttTlsPort),
        VIGIL_MQTT_TLS_CERT: pki.certFile,
        VIGIL_MQTT_TLS_KEY: pki.keyFile,
        VIGIL_MQTT_TLS_CA: pki.caFile,
      });
    }
    if (opts.mqttWsPort !== undefined) listeners.VIGIL_MQTT_WS_PORT = String(opts.mqttWsPort);
    // Sessions on disk beside the database, as in production: a killed broker loses nothing it acknowledged.
    const brokerStore = join(opts.dataDir ? dirname(opts.dataDir) : join(ROOT, 'data'), 'broker.sqlite');
    const broker = await start('broker', 'broker/src/main.ts', 'VIGIL_BROKER_READY', {
      ...listeners,
      VIGIL_BROKER_PERSISTENCE: `sqlite:${brokerStore}`,
      DATABASE_URL: databaseUrl,
      VIGIL_MQTT_PORT: String(opts.mqttPort),
      VIGIL_INGEST_MQTT_SECRET: secrets.ingest,
      VIGIL_ANALYTICS_MQTT_SECRET: secrets.analytics,
      VIGIL_COMMAND_CENTER_MQTT_SECRET: secrets.commandCenter,
      ...(opts.metricsPorts ? { VIGIL_BROKER_METRICS_PORT: String(opts.metricsPorts.broker) } : {}),
    });
    const mqttPort = Number(broker.ready);
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const common = { DATABASE_URL: databaseUrl, VIGIL_MQTT_URL: mqttUrl };
    await start('ingest', 'ingest/src/main.ts', 'VIGIL_INGEST_READY', {
      ...common,
      VIGIL_MQTT_USERNAME: 'svc-ingest',
      VIGIL_MQTT_PASSWORD: secrets.ingest,
      ...(opts.metricsPorts ? { VIGIL_INGEST_METRICS_PORT: String(opts.metricsPorts.ingest) } : {}),
    });
    await start('analytics', 'analytics/src/main.ts', 'VIGIL_ANALYTICS_READY', {
      ...common,
      VIGIL_MQTT_USERNAME: 'svc-analytics',
      VIGIL_MQTT_PASSWORD: secrets.analytics,
    });
    const snapshotDir = opts.snapshotDir ?? join(ROOT, 'data', 'snapshots');
    const http = await start('command-center', 'command-center/src/main.ts', 'VIGIL_HTTP_READY', {
      ...common,
      VIGIL_MQTT_USERNAME: 'svc-command-center',
      VIGIL_MQTT_PASSWORD: secrets.commandCenter,
      VIGIL_HTTP_PORT: String(opts.httpPort),
      VIGIL_HTTP_HOST: opts.httpHost,
      // in-app notifications (and any channel set in the policies' contacts) on; links signed for this run only
      VIGIL_NOTIFY_LINK_SECRET: secret(),
      VIGIL_NOTIFY_LINK_BASE: `http://${opts.httpHost}:${opts.httpPort}`,
      ...(opts.metricsPorts
        ? { VIGIL_SERVICE_ENDPOINTS: `broker=http://127.0.0.1:${opts.metricsPorts.broker},ingest=http://127.0.0.1:${opts.metricsPorts.ingest}` }
        : {}),
      ...(opts.publicDir ? { VIGIL_PUBLIC_DIR: opts.publicDir } : {}),
      VIGIL_SNAPSHOT_DIR: snapshotDir,
    });
    // The streams are made from the fixture photos beside the project; a clone without them runs without cameras.
    const cameras = opts.cameras === true && existsSync(DEFAULT_FRAMES_DIR);
    if (opts.cameras && !cameras) {
      opts.sink('cameras', JSON.stringify({ level: 40, msg: `demo cameras off: no fixture photos at ${DEFAULT_FRAMES_DIR} / 未找到样例图片，演示摄像头未启动` }), 'stderr');
    }
    if (cameras) {
      const sim = await start('cameras', 'device-sim/src/cli.ts', 'VIGIL_SIM_CAMERAS_READY', {}, cameraSimArgs());
      const camPool = createPool(databaseUrl);
      let camerasFile: string;
      try {
        camerasFile = await prepareDemoCameras(camPool, Number(sim.ready), dirname(snapshotDir));
      } finally {
        await camPool.end();
      }
      // vigil-vision publishes alerts only, as analytics does: the same service account
      await start('vision', 'analytics/src/vision/cli.ts', 'VIGIL_VISION_READY', {
        ...common,
        VIGIL_MQTT_USERNAME: 'svc-analytics',
        VIGIL_MQTT_PASSWORD: secrets.analytics,
        VIGIL_VISION_CAMERAS_FILE: camerasFile,
        VIGIL_VISION_SNAPSHOT_DIR: snapshotDir,
      });
    }
    if (opts.simulator) {
      await start('device-sim', 'device-sim/src/main.ts', 'VIGIL_SIM_READY', {
        VIGIL_MQTT_URL: mqttUrl,
        VIGIL_SIM_TAG_SECRET: tagSecret,
        VIGIL_SIM_FIX_INTERVAL_MS: String(opts.simFixIntervalMs),
      });
    }
    const httpPort = Number(http.ready);
    return { databaseUrl, mqttUrl, mqttPort, httpPort, httpUrl: `http://${opts.httpHost}:${httpPort}`, tagSecret, demoPeople, cameras, services, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
