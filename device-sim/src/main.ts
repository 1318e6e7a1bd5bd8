import { intEnv, readConfigOrExit, requiredEnv, urlEnv } from '@vigil/ingest';
import { DEMO } from './demo.js';
import { startFleet } from './fleet.js';
import { createLogger } from './logger.js';
import { buildTagFleet } from './tags/build.js';
import { SimFleet } from './tags/fleet-sim.js';
import { runRealtime } from './tags/realtime.js';
import { createMqttSink } from './tags/sinks/mqtt.js';

const log = createLogger('main');

if (process.argv[2] === 'gates') await import('./gates/cli.js').then((m) => m.runGatesCli(process.argv.slice(3)));
if (process.argv[2] === 'cameras') await import('./cameras/cli.js').then((m) => m.runCamerasCli(process.argv.slice(3)));

const config = readConfigOrExit(() => ({
  mqttUrl: urlEnv('VIGIL_MQTT_URL', { protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:'] }),
  tagSecret: requiredEnv('VIGIL_SIM_TAG_SECRET'),
  fixIntervalMs: intEnv('VIGIL_SIM_FIX_INTERVAL_MS', 5000, { min: 100, max: 3_600_000 }),
  noiseM: intEnv('VIGIL_SIM_NOISE_M', 3, { min: 0, max: 1000 }),
  accuracyM: intEnv('VIGIL_SIM_ACCURACY_M', 8, { min: 1, max: 10_000 }),
}));

const fleet = await startFleet({ ...config, tags: DEMO.tags });
// the caseload: subjects on their daily routines at the site's local time, and the victims' phones
const caseloadSink = createMqttSink({ url: config.mqttUrl, secretFor: () => config.tagSecret, logger: log });
const now = Date.now();
const caseload = buildTagFleet({ subjects: DEMO.subjects, zones: DEMO.zones, seed: now % 2 ** 32, startMs: now, tag: { fixIntervalMs: Math.max(config.fixIntervalMs, 10_000) } });
await caseloadSink.connect(caseload.devices);
const realtime = runRealtime(new SimFleet(caseload.devices, (ev) => caseloadSink.send(ev), now), { startMs: now, speed: 1, tickMs: 250 });
process.stdout.write('VIGIL_SIM_READY\n');
log.info({ tags: fleet.tags.map((t) => t.id), caseload: caseload.devices.length, fixIntervalMs: config.fixIntervalMs }, 'demo tags publishing');

const stop = () => {
  Promise.all([fleet.close(), realtime.stop().then(() => caseloadSink.close())]).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
