import type { Logger } from 'pino';
import { buildTagFleet } from './tags/build.js';
import { generateCaseload } from './tags/community.js';
import { SimFleet } from './tags/fleet-sim.js';
import { runRealtime } from './tags/realtime.js';
import { createMqttSink } from './tags/sinks/mqtt.js';

/** Options of a load run. */
export interface LoadOptions {
  mqttUrl: string;
  secret: string;
  site: string;
  prefix: string;
  tags: number;
  intervalS: number;
  durationS: number;
  seed: number;
  reportEveryS: number;
  logger: Logger;
  /** One line per report (the CLI prints it). */
  report(line: string): void;
}

/** What a load run achieved. */
export interface LoadResult {
  connected: number;
  connectS: number;
  sent: number;
  acked: number;
  errors: number;
  connectRetries: number;
  sentPerS: number;
  ackedPerS: number;
  targetPerS: number;
}

/**
 * N tags, each on its own MQTT connection logged in as itself (`<prefix>-NNNNN`,
 * one shared secret), fixing every `intervalS` along their routines in real
 * time; reports sent and acknowledged per second and publish errors.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const subjects = generateCaseload({
    siteId: o.site,
    centre: { lat: 30.256, lon: 120.134 },
    radiusM: 8000,
    count: o.tags,
    firstNumber: 0,
    victimEvery: 0,
    keepClearOf: [],
    seed: o.seed,
    prefix: { subject: `${o.prefix}-subj`, tag: o.prefix, phone: `${o.prefix}-phone`, place: `${o.prefix}-place` },
  });
  const sink = createMqttSink({ url: o.mqttUrl, secretFor: () => o.secret, persistent: false, logger: o.logger });
  const t0 = Date.now();
  let lastReport = Date.now();
  const progress = setInterval(() => o.report(`connecting: ${sink.stats().connected}/${o.tags} (${sink.stats().connectRetries} retried)`), 5000);
  try {
    await sink.connect(subjects.map((s) => ({ id: s.tagId })));
  } finally {
    clearInterval(progress);
  }
  const connectS = (Date.now() - t0) / 1000;
  o.report(`connected ${o.tags} tags in ${connectS.toFixed(1)} s`);
  const start = Date.now();
  const built = buildTagFleet({ subjects, zones: [], seed: o.seed, startMs: start, tag: { fixIntervalMs: o.intervalS * 1000 } });
  const fleet = new SimFleet(built.devices, (ev) => sink.send(ev), start);
  // tags start spread over one interval from now
  const rt = runRealtime(fleet, { startMs: start, speed: 1, tickMs: 100, onError: (err) => o.logger.error({ err: err.message }, 'step failed') });
  let prev = sink.stats();
  lastReport = Date.now();
  const timer = setInterval(() => {
    const s = sink.stats();
    const dt = (Date.now() - lastReport) / 1000;
    lastReport = Date.now();
    o.report(`sent ${((s.sent - prev.sent) / dt).toFixed(0)}/s, acked ${((s.acked - prev.acked) / dt).toFixed(0)}/s, errors ${s.errors}${s.lastError ? ` (last: ${s.lastError})` : ''}, lag ${Math.max(0, rt.simNow() - fleet.now()).toFixed(0)} ms`);
    prev = s;
  }, o.reportEveryS * 1000);
  await new Promise((r) => setTimeout(r, o.durationS * 1000));
  clearInterval(timer);
  await rt.stop();
  const elapsed = (Date.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const s = sink.stats();
  await sink.close();
  return {
    connected: s.connected,
    connectS,
    sent: s.sent,
    acked: s.acked,
    errors: s.errors,
    connectRetries: s.connectRetries,
    sentPerS: s.sent / elapsed,
    ackedPerS: s.acked / elapsed,
    targetPerS: o.tags / o.intervalS,
  };
}
