import type { Driver, DriverContext, DriverPlugin } from '../../driver.js';
import { NmeaConfig } from './config.js';
import { createSource } from './sources.js';
import { NmeaStream, type StreamHost } from './stream.js';

/** The NMEA driver, with the port it listens on (tcp-listen; for tests and the log). */
export interface NmeaDriver extends Driver {
  port(): number | null;
}

const LOG_WINDOW_MS = 10_000;
const LOG_PER_WINDOW = 20;

/**
 * GPS tags over NMEA 0183 (docs/nmea-framing.md): reads GGA, GSA and RMC and
 * Vigil's `$PVGLI` / `$PVGLH` / `$PVGLT` frames from TCP (listening or
 * connecting) or a serial device, and emits `tag.fix`, `tag.health` and
 * `tag.tamper`. Every dropped sentence is counted by reason (malformed,
 * checksum, overlong, unsupported, unidentified, unknown-tag, no-fix,
 * no-accuracy) and logged — at most 20 lines per 10 s, then a summary.
 */
export function createNmeaDriver(config: NmeaConfig, ctx: DriverContext): NmeaDriver {
  const allowList = config.tags && config.tags.length > 0 ? new Set(config.tags) : null;
  const seenTags = new Set<string>(config.tags ?? []);
  const streams = new Set<NmeaStream>();
  let logged = 0;
  let suppressed = 0;
  let windowStart = 0;
  const host: StreamHost = {
    ctx,
    uereM: config.uereM ?? 5,
    epochFlushMs: config.epochFlushMs ?? 500,
    maxLineBytes: config.maxLineBytes ?? 256,
    allowed: (tag) => allowList === null || allowList.has(tag),
    seen: (tag) => void seenTags.add(tag),
    drop(reason, line, detail, stream) {
      ctx.count(reason);
      const now = Date.now();
      if (now - windowStart > LOG_WINDOW_MS) {
        if (suppressed > 0) ctx.log.warn({ suppressed }, `${suppressed} more dropped NMEA sentences were not logged`);
        windowStart = now;
        logged = 0;
        suppressed = 0;
      }
      if (reason === 'unsupported' || reason === 'no-fix') {
        ctx.log.debug({ reason, detail, stream }, 'nmea sentence ignored');
      } else if (logged++ < LOG_PER_WINDOW) {
        ctx.log.warn({ reason, detail, stream, sentence: JSON.stringify(line.slice(0, 120)) }, 'nmea sentence dropped');
      } else suppressed++;
    },
  };
  const source = createSource(config.source, {
    opened(s) {
      const stream = new NmeaStream(host, s.label, s);
      streams.add(stream);
      s.onData((chunk) => stream.push(chunk));
      ctx.log.info({ stream: s.label }, 'nmea stream opened');
      return {
        async ended() {
          await stream.end();
          streams.delete(stream);
          ctx.log.info({ stream: s.label }, 'nmea stream closed');
        },
      };
    },
    state: (state, detail) => ctx.setState(state, detail),
  });
  return {
    devices: () => [...seenTags],
    async start() {
      ctx.setState('starting');
      await source.start();
    },
    async stop() {
      await source.stop();
      await Promise.all([...streams].map((s) => s.end()));
      ctx.setState('stopped');
    },
    port: () => source.port(),
  };
}

/** The `nmea` driver plugin. */
export const nmeaPlugin: DriverPlugin<typeof NmeaConfig> = {
  type: 'nmea',
  configSchema: NmeaConfig,
  create: (config, ctx) => createNmeaDriver(config, ctx),
};
