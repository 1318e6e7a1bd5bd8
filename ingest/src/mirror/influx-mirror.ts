import { InfluxDB, Point, setLogger, type Transport } from '@influxdata/influxdb-client';
import { createLogger, type Logger } from '../logger.js';
import type { IngestRecord, LpOrigin } from '../records.js';

/** Options for `createInfluxMirror`. Units are in the names. */
export interface InfluxMirrorOptions {
  /** Base URL of the InfluxDB server, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /**
   * `v2`: `/api/v2/write` (InfluxDB 2.x, 3.x, and 1.8+ through its compatibility API).
   * `v1`: `/write` (InfluxDB 1.x before 1.8, such as Debian's `influxdb` 1.6).
   */
  api: 'v1' | 'v2';
  /** v2 bucket; v1 database, or `database/retention-policy`. */
  bucket: string;
  /** v2 organisation (ignored by v1). */
  org?: string;
  /** v2 API token; v1 `user:password` (InfluxDB 1.x reads `Authorization: Token user:password`). */
  token?: string;
  /** Lines per request. Default 1000. */
  batchSize?: number;
  /** Longest wait before a partial batch is sent. Default 1000. */
  flushIntervalMs?: number;
  /** Lines kept for retries while the server is away; the oldest go first beyond it. Default 50 000. */
  maxBufferLines?: number;
  /** Longest wait on close for queued points to be sent. Default 5000. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

/** A running mirror: best effort, never blocks or fails a write to Vigil's own database. */
export interface InfluxMirror {
  /** Queue committed points; sent in batches by the client library, retried with backoff. */
  add(points: readonly LpOrigin[]): void;
  /** Send what is queued now. */
  flush(): Promise<void>;
  /** Counters since start: points queued, lines the server accepted, lines refused (4xx) or not convertible; lines being retried count in neither. */
  stats(): { queued: number; written: number; failed: number };
  /** Flush and stop. */
  close(): Promise<void>;
}

/** Tags the mirror adds to every point, so points of different devices never overwrite each other. */
export const MIRROR_TAGS = { site: 'vigil_site', device: 'vigil_device' } as const;

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Mirror points to an external InfluxDB with InfluxData's own client library
 * (`@influxdata/influxdb-client`: batching, retries with backoff and jitter,
 * a bounded retry buffer, gzip). Vigil's database stays the record: the mirror
 * gets points after they are committed, and a failed mirror write is only logged.
 */
export function createInfluxMirror(opts: InfluxMirrorOptions): InfluxMirror {
  const log = opts.logger ?? createLogger('ingest-mirror');
  const counters = { queued: 0, written: 0, failed: 0 };
  // The library logs each failed write itself, to the console by default; send it to pino instead
  // (a process-wide setting of the library, which only the mirror uses).
  const toPino = (message: string, err: unknown) => log.warn({ err, url: opts.url }, message);
  setLogger({ error: toPino, warn: toPino });
  const base = new InfluxDB({ url: opts.url, token: opts.token, timeout: 10_000 });
  const client = opts.api === 'v1' ? new InfluxDB({ url: opts.url, token: opts.token, transport: v1Transport(base.transport) }) : base;
  const writer = client.getWriteApi(opts.org ?? '', opts.bucket, 'ns', {
    batchSize: opts.batchSize ?? 1_000,
    flushInterval: opts.flushIntervalMs ?? 1_000,
    maxBufferLines: opts.maxBufferLines ?? 50_000,
    maxRetries: 5,
    gzipThreshold: 1_000,
    writeSuccess: (lines) => {
      counters.written += lines.length;
    },
    writeFailed: (err, lines) => {
      // Logged by the library (above). A 4xx other than 429 is not retried: those lines are lost to the mirror.
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) counters.failed += lines.length;
    },
  });
  return {
    add(points) {
      for (const p of points) {
        try {
          writer.writePoint(toPoint(p, opts.api));
          counters.queued++;
        } catch (err) {
          counters.failed++;
          log.warn({ err, deviceId: p.deviceId, measurement: p.point.measurement }, 'point cannot be mirrored');
        }
      }
    },
    flush: () => writer.flush(),
    stats: () => ({ ...counters }),
    async close() {
      // The library's close sends what is queued; a server that is away must not hold up shutdown.
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.closeTimeoutMs ?? 5_000)));
      await Promise.race([writer.close().catch((err: unknown) => log.warn({ err }, 'mirror close failed')), giveUp]);
      clearTimeout(timer);
    },
  };
}

/** The points behind the `metrics` rows of a committed batch (what `IngestOptions.onCommitted` gets). */
export function committedLpPoints(records: readonly IngestRecord[]): LpOrigin[] {
  return records.flatMap((r) => (r.table === 'metrics' && r.lp ? [r.lp] : []));
}

/** The library's Point for a parsed point: every field keeps its line-protocol type, int64 exactly. */
export function toPoint(m: LpOrigin, api: 'v1' | 'v2'): Point {
  const p = new Point(m.point.measurement);
  for (const [k, v] of Object.entries(m.point.tags)) p.tag(k, v);
  p.tag(MIRROR_TAGS.site, m.siteId).tag(MIRROR_TAGS.device, m.deviceId);
  for (const [k, f] of Object.entries(m.point.fields)) {
    if (f.type === 'float') p.floatField(k, f.value);
    else if (f.type === 'string') p.stringField(k, f.value);
    else if (f.type === 'boolean') p.booleanField(k, f.value);
    else if (f.type === 'unsigned' && api === 'v2') p.uintField(k, f.value.toString());
    // InfluxDB 1.x has no unsigned type: an unsigned that fits int64 is written as an integer.
    else if (f.type === 'unsigned' && f.value > INT64_MAX) p.floatField(k, Number(f.value));
    // intField goes through a JS number; beyond 2^53 that would round, so the exact text is set
    // in the (public, already-escaped) fields map instead.
    else if (Number.isSafeInteger(Number(f.value))) p.intField(k, Number(f.value));
    else p.fields[k] = `${f.value}i`;
  }
  return p.timestamp(m.point.timeNs.toString());
}

/**
 * The library writes to `/api/v2/write?org=&bucket=&precision=`; an InfluxDB
 * before 1.8 has only `/write?db=&rp=&precision=`. This maps one to the other,
 * as InfluxDB 1.8's own compatibility API does (bucket = `db` or `db/rp`).
 */
function v1Transport(inner: Transport): Transport {
  const toV1 = (path: string): string => {
    if (!path.startsWith('/api/v2/write?')) return path;
    const q = new URLSearchParams(path.slice('/api/v2/write?'.length));
    const [db = '', rp] = (q.get('bucket') ?? '').split('/');
    const v1 = new URLSearchParams({ db, precision: { ns: 'n', us: 'u', ms: 'ms', s: 's' }[q.get('precision') ?? 'ns'] ?? 'n' });
    if (rp) v1.set('rp', rp);
    return `/write?${v1.toString()}`;
  };
  return {
    send: (path, body, options, callbacks) => inner.send(toV1(path), body, options, callbacks),
    request: (path, body, options, started) => inner.request(toV1(path), body, options, started),
    iterate: (path, body, options) => inner.iterate(toV1(path), body, options),
    chunkCombiner: inner.chunkCombiner,
  };
}
