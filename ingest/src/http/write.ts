import type { IncomingMessage } from 'node:http';
import { deviceTopic } from '@vigil/schemas';
import { IngestError } from '../errors.js';
import type { LpPrecision } from '../line-protocol.js';
import type { Logger } from '../logger.js';
import type { IngestRecord } from '../records.js';
import { readBody } from './body.js';
import { v1Token, v2Token } from './credentials.js';
import { InfluxHttpError } from './influx-errors.js';
import { httpDeadLetter, parseErrorMessage, toHttpLpRecords } from './lp-records.js';
import type { LpTokenIdentity } from './tokens.js';

/** Which InfluxDB write API was called: decides parameters, credentials, partial writes and the error format. */
export type WriteApi = 'v2' | 'v1';

/** What a write handler needs. Units are in the names. */
export interface LpWriteOptions {
  /** Who a token writes as, or undefined to refuse it (401). */
  authenticate(token: string): Promise<LpTokenIdentity | undefined>;
  /** Store rows through the ingest batcher; resolves only after the transaction holding them committed. */
  submit(records: IngestRecord[]): Promise<void>;
  /** Largest body, on the wire and after gunzip. */
  maxBodyBytes: number;
  /** Most lines in one write (413 above, so Telegraf splits the batch). */
  maxLines: number;
  /** Longest wait for the commit before answering 503 (the client retries; duplicates are removed). */
  commitTimeoutMs: number;
  logger: Logger;
  /** The receive time of lines without a timestamp; a clock for tests. */
  now?(): Date;
}

// precision= of each API: v2 names units ns/us/ms/s, v1 also n and u.
const V2_PRECISIONS: Readonly<Record<string, LpPrecision>> = { ns: 'ns', us: 'us', ms: 'ms', s: 's' };
const V1_PRECISIONS: Readonly<Record<string, LpPrecision>> = { n: 'ns', ns: 'ns', u: 'us', us: 'us', ms: 'ms', s: 's' };

/**
 * Handle one write: authenticate, read and parse the body, store through the
 * batcher, and resolve once committed. Throws an InfluxHttpError to refuse it.
 *
 * Partial writes follow each API: v2 (InfluxDB 2.x OSS) rejects the whole batch
 * when a line is bad (400, nothing stored); v1 (InfluxDB 1.x) stores the good
 * lines and answers 400 `partial write: ...`. Either way every bad line is a dead letter.
 */
export async function handleWrite(api: WriteApi, req: IncomingMessage, url: URL, opts: LpWriteOptions): Promise<void> {
  const token = api === 'v2' ? v2Token(req.headers) : v1Token(req.headers, url.searchParams);
  if (token === undefined) throw new InfluxHttpError('unauthorized', 'unauthorized access', 'unable to parse authentication credentials');
  const who = await opts.authenticate(token);
  if (!who) throw new InfluxHttpError('unauthorized', 'unauthorized access', 'authorization failed');
  // org and bucket (v2), db and rp (v1) are accepted and not used: the token decides device and site.
  if (api === 'v1' && !url.searchParams.get('db')) throw new InfluxHttpError('invalid', 'database is required');
  const precision = precisionOf(api, url.searchParams.get('precision') ?? '');

  const body = await readBody(req, opts.maxBodyBytes);
  if (body.length === 0) {
    if (api === 'v2') throw new InfluxHttpError('invalid', 'writing requires points');
    return;
  }
  const topic = deviceTopic(who.siteId, who.deviceId, 'lp');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    await store(opts, [httpDeadLetter(topic, body, '', 'body is not UTF-8')]);
    throw new InfluxHttpError('invalid', 'unable to parse points: body is not UTF-8');
  }
  const parsed = toHttpLpRecords(text, who, precision, opts.now?.() ?? new Date());
  if (parsed.lines > opts.maxLines) {
    throw new InfluxHttpError('request too large', `points batch has ${parsed.lines} lines, more than ${opts.maxLines}`, 'Request Entity Too Large');
  }
  if (parsed.bad.length > 0) {
    opts.logger.warn({ deviceId: who.deviceId, api, badLines: parsed.bad.length, first: parsed.bad[0]!.reason }, 'line protocol lines dead-lettered');
  }
  if (parsed.bad.length === 0) {
    if (parsed.metrics.length > 0) await store(opts, parsed.metrics);
    return;
  }
  const message = parseErrorMessage(parsed.bad);
  if (api === 'v2') {
    await store(opts, parsed.deadLetters);
    throw new InfluxHttpError('invalid', message);
  }
  await store(opts, [...parsed.metrics, ...parsed.deadLetters]);
  // InfluxDB 1.x: a partial write when some points were stored, the plain parse error when none were.
  throw new InfluxHttpError('invalid', message, parsed.metrics.length > 0 ? `partial write: ${message} dropped=${parsed.bad.length}` : message);
}

function precisionOf(api: WriteApi, raw: string): LpPrecision {
  if (raw === '') return 'ns';
  const names = api === 'v2' ? V2_PRECISIONS : V1_PRECISIONS;
  if (Object.hasOwn(names, raw)) return names[raw]!;
  throw new InfluxHttpError(
    'invalid',
    'invalid precision; valid precision units are ns, us, ms, and s',
    `invalid precision ${JSON.stringify(raw)}; valid precision units are n, u, ms, and s`,
  );
}

/** Submit and wait for the commit, at most commitTimeoutMs; a closing ingest or a slow database is a 503 to retry. */
async function store(opts: LpWriteOptions, records: IngestRecord[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InfluxHttpError('unavailable', 'timed out waiting for the database commit; retry the write', undefined, 5)),
      opts.commitTimeoutMs,
    );
  });
  try {
    await Promise.race([opts.submit(records), timeout]);
  } catch (err) {
    if (err instanceof IngestError && err.code === 'VIGIL_INGEST_CLOSED') {
      throw new InfluxHttpError('unavailable', 'ingest is shutting down; retry the write', undefined, 5);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
