import { deviceTopic } from '@vigil/schemas';
import { fieldsToJson, nsToTimestamptz, parseLines, type LpPrecision } from '../line-protocol.js';
import { LP_ERROR_CODE, type IngestRecord, type LpOrigin } from '../records.js';
import type { LpTokenIdentity } from './tokens.js';

/** `dead_letters.source` of what arrived over HTTP. */
export const HTTP_SOURCE = 'http';

/** One line the parser refused. */
export interface BadLine {
  line: number;
  text: string;
  reason: string;
}

/** A write body turned into rows: `metrics` rows for the good lines, dead letters for the bad. */
export interface HttpLpRecords {
  metrics: IngestRecord[];
  deadLetters: IngestRecord[];
  bad: BadLine[];
  /** Lines counted (blank lines and comments not counted). */
  lines: number;
}

/**
 * Parse a write body for the device a token writes as. Dead letters carry the
 * device's line-protocol topic (`vigil/v1/<site>/<device>/lp`), so they sort
 * with the ones that came over MQTT; `source` tells them apart.
 */
export function toHttpLpRecords(text: string, who: LpTokenIdentity, precision: LpPrecision, receivedAt: Date): HttpLpRecords {
  const topic = deviceTopic(who.siteId, who.deviceId, 'lp');
  const results = parseLines(text, precision);
  const out: HttpLpRecords = { metrics: [], deadLetters: [], bad: [], lines: results.length };
  const receivedNs = BigInt(receivedAt.getTime()) * 1_000_000n;
  for (const r of results) {
    if (!r.ok) {
      out.bad.push({ line: r.line, text: r.text, reason: r.reason });
      out.deadLetters.push(httpDeadLetter(topic, Buffer.from(r.text), `line ${r.line}`, r.reason));
      continue;
    }
    const p = r.point;
    const time = p.timeNs === undefined ? receivedAt : nsToTimestamptz(p.timeNs);
    const lp: LpOrigin = { siteId: who.siteId, deviceId: who.deviceId, point: { ...p, timeNs: p.timeNs ?? receivedNs } };
    out.metrics.push({ table: 'metrics', values: [time, who.siteId, who.deviceId, p.measurement, JSON.stringify(p.tags), fieldsToJson(p.fields)], lp });
  }
  return out;
}

// A dead letter keeps the evidence, not a whole 8 MiB body: the first 16 KiB is enough to see what was wrong.
const MAX_DEAD_LETTER_BYTES = 16 * 1024;

/** A dead letter for something refused over HTTP; `field` is `line <n>`, or `''` for the whole body. */
export function httpDeadLetter(topic: string, payload: Buffer, field: string, reason: string): IngestRecord {
  if (payload.length > MAX_DEAD_LETTER_BYTES) {
    reason = `${reason} (payload cut to its first ${MAX_DEAD_LETTER_BYTES} of ${payload.length} bytes)`;
    payload = payload.subarray(0, MAX_DEAD_LETTER_BYTES);
  }
  return {
    table: 'dead_letters',
    values: [HTTP_SOURCE, topic, payload, LP_ERROR_CODE, field, reason],
    error: { code: LP_ERROR_CODE, field, message: reason },
  };
}

const MAX_LINES_IN_MESSAGE = 20;
const MAX_TEXT_IN_MESSAGE = 200;

/**
 * The message InfluxDB gives for lines it cannot parse: `unable to parse '<line>': <reason>`,
 * one per bad line, joined by newlines. Our reasons start with `line <n>:`, so each names its line.
 * Long bodies are cut to the first 20 bad lines.
 */
export function parseErrorMessage(bad: readonly BadLine[]): string {
  const shown = bad.slice(0, MAX_LINES_IN_MESSAGE).map((b) => {
    const text = b.text.length > MAX_TEXT_IN_MESSAGE ? `${b.text.slice(0, MAX_TEXT_IN_MESSAGE)}…` : b.text;
    return `unable to parse '${text}': ${b.reason}`;
  });
  if (bad.length > MAX_LINES_IN_MESSAGE) shown.push(`(and ${bad.length - MAX_LINES_IN_MESSAGE} more lines)`);
  return shown.join('\n');
}
