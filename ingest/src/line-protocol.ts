/**
 * InfluxDB line protocol (v2 syntax), as Telegraf and third-party sensors write it:
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp-ns]
 *
 * Written here rather than taken from npm: the registry has no maintained parser
 * (`influx-line-protocol-parser` is a small unmaintained 0.x package, and
 * `@influxdata/influxdb-client` only serialises points, its parser is not
 * exported), and what we need is small, strict and fully tested in
 * test/line-protocol.test.ts.
 *
 * Escapes follow the spec: in the measurement `\,` and `\ `; in tag keys, tag
 * values and field keys `\,` `\=` `\ `; in string field values `\"` and `\\`.
 * A backslash before any other character is a literal backslash. Field values:
 * floats (`1`, `-1.5e3`), integers (`12i`, int64), unsigned (`12u`, uint64),
 * strings (`"..."`), booleans (`t`, `T`, `true`, `True`, `TRUE`, and the same
 * for false). The timestamp is an int64 in nanoseconds, or in the unit the
 * writer names (`precision=` of InfluxDB's write API); without one the caller
 * uses the receive time.
 */

/** One field value with its line-protocol type; integers stay exact as bigint. */
export type LpFieldValue =
  | { type: 'float'; value: number }
  | { type: 'integer'; value: bigint }
  | { type: 'unsigned'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean };

/** One parsed line. */
export interface LpPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, LpFieldValue>;
  /** Nanoseconds since the epoch, or undefined when the line has none. */
  timeNs?: bigint;
}

/** The outcome of one line: a point, or the problem, naming the line (1-based). */
export type LpLineResult = { ok: true; line: number; point: LpPoint } | { ok: false; line: number; text: string; reason: string };

/** Timestamp precisions InfluxDB's v2 write API accepts, each with its length in nanoseconds. */
export const LP_PRECISIONS = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n } as const;

/** The unit of the timestamps in a payload; `ns` unless the writer says otherwise. */
export type LpPrecision = keyof typeof LP_PRECISIONS;

/** Limits on one line. */
export const LP_LIMITS = {
  /** Longest measurement, tag key or field key, in characters. */
  maxKeyChars: 128,
  /** Most tags, and most fields, on one line. */
  maxTags: 64,
  maxFields: 64,
  /**
   * Largest tag set, as JSON text in UTF-8 bytes: the tags are part of the unique
   * index of `metrics`, and a PostgreSQL btree entry must stay under ~2.7 kB.
   */
  maxTagSetBytes: 1024,
  /** Most lines in one payload (comments and blank lines not counted). */
  maxLines: 1000,
} as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEANS: Readonly<Record<string, boolean>> = { t: true, T: true, true: true, True: true, TRUE: true, f: false, F: false, false: false, False: false, FALSE: false };

const PRECISION_NAMES: Readonly<Record<LpPrecision, string>> = { ns: 'nanoseconds', us: 'microseconds', ms: 'milliseconds', s: 'seconds' };

class LineError extends Error {}

/**
 * Split a payload into lines and parse each. Blank lines and `#` comments are
 * skipped; `\r\n` endings are accepted. Line numbers count every line of the text.
 */
export function parseLines(text: string, precision: LpPrecision = 'ns'): LpLineResult[] {
  const results: LpLineResult[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    results.push(parseLine(trimmed, i + 1, precision));
  }
  return results;
}

/** Parse one line (no newline in it); `line` is its number, used in the reason; the timestamp is in `precision`. */
export function parseLine(text: string, line = 1, precision: LpPrecision = 'ns'): LpLineResult {
  try {
    return { ok: true, line, point: new LineParser(text, precision).parse() };
  } catch (err) {
    if (!(err instanceof LineError)) throw err;
    return { ok: false, line, text, reason: `line ${line}: ${err.message}` };
  }
}

class LineParser {
  private pos = 0;

  constructor(
    private readonly s: string,
    private readonly precision: LpPrecision = 'ns',
  ) {}

  parse(): LpPoint {
    const measurement = this.readName(' ,', ' ,', 'measurement');
    const tags: Record<string, string> = {};
    let tagCount = 0;
    while (this.s[this.pos] === ',') {
      this.pos++;
      const key = this.readName(', =', ', =', 'tag key');
      this.expect('=', `tag ${JSON.stringify(key)} has no "="`);
      const value = this.readName(', ', ', =', `value of tag ${JSON.stringify(key)}`);
      if (Object.hasOwn(tags, key)) throw new LineError(`duplicate tag ${JSON.stringify(key)}`);
      if (++tagCount > LP_LIMITS.maxTags) throw new LineError(`more than ${LP_LIMITS.maxTags} tags`);
      tags[key] = value;
    }
    if (Buffer.byteLength(JSON.stringify(tags)) > LP_LIMITS.maxTagSetBytes) {
      throw new LineError(`tag set larger than ${LP_LIMITS.maxTagSetBytes} bytes`);
    }
    this.expect(' ', this.pos >= this.s.length ? 'no fields' : `unexpected ${JSON.stringify(this.s[this.pos])} after the measurement and tags`);

    const fields: Record<string, LpFieldValue> = {};
    let fieldCount = 0;
    for (;;) {
      const key = this.readName(', =', ', =', 'field key');
      this.expect('=', `field ${JSON.stringify(key)} has no "="`);
      if (Object.hasOwn(fields, key)) throw new LineError(`duplicate field ${JSON.stringify(key)}`);
      if (++fieldCount > LP_LIMITS.maxFields) throw new LineError(`more than ${LP_LIMITS.maxFields} fields`);
      fields[key] = this.readFieldValue(key);
      if (this.s[this.pos] !== ',') break;
      this.pos++;
    }

    if (this.pos >= this.s.length) return { measurement, tags, fields };
    this.expect(' ', `unexpected ${JSON.stringify(this.s[this.pos])} after the fields`);
    const ts = this.s.slice(this.pos).trimEnd();
    if (ts === '') return { measurement, tags, fields };
    const unit = PRECISION_NAMES[this.precision];
    if (!/^-?\d+$/.test(ts)) throw new LineError(`timestamp ${JSON.stringify(ts.slice(0, 40))} is not an integer (${unit})`);
    // The range is checked in nanoseconds, where InfluxDB keeps every timestamp.
    const timeNs = BigInt(ts) * LP_PRECISIONS[this.precision];
    if (timeNs < INT64_MIN || timeNs > INT64_MAX) {
      throw new LineError(this.precision === 'ns' ? `timestamp ${ts} is out of the int64 range` : `timestamp ${ts} (${unit}) is out of the int64 nanosecond range`);
    }
    return { measurement, tags, fields, timeNs };
  }

  /**
   * Read a measurement, tag key, tag value or field key up to an unescaped
   * character of `stop`; `escapable` are the characters a backslash escapes here.
   */
  private readName(stop: string, escapable: string, what: string): string {
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (c === '\\' && this.pos + 1 < this.s.length && escapable.includes(this.s[this.pos + 1]!)) {
        out += this.s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      if (stop.includes(c)) break;
      // An unescaped special character that does not end this element is a syntax error.
      if (escapable.includes(c)) throw new LineError(`unescaped ${JSON.stringify(c)} in ${what} ${JSON.stringify(out)}`);
      out += c;
      this.pos++;
    }
    if (out === '') throw new LineError(`empty ${what}`);
    const isKey = what === 'measurement' || what.endsWith('key');
    if (isKey && [...out].length > LP_LIMITS.maxKeyChars) throw new LineError(`${what} ${JSON.stringify(out.slice(0, 40))}… is longer than ${LP_LIMITS.maxKeyChars} characters`);
    return out;
  }

  private readFieldValue(key: string): LpFieldValue {
    if (this.s[this.pos] === '"') return { type: 'string', value: this.readString(key) };
    const start = this.pos;
    while (this.pos < this.s.length && this.s[this.pos] !== ',' && this.s[this.pos] !== ' ') this.pos++;
    const raw = this.s.slice(start, this.pos);
    const bad = (why: string) => new LineError(`field ${JSON.stringify(key)}: ${why}`);
    if (raw === '') throw bad('empty value');
    if (raw in BOOLEANS) return { type: 'boolean', value: BOOLEANS[raw]! };
    if (/^-?\d+i$/.test(raw)) {
      const value = BigInt(raw.slice(0, -1));
      if (value < INT64_MIN || value > INT64_MAX) throw bad(`integer ${raw} is out of the int64 range`);
      return { type: 'integer', value };
    }
    if (/^\d+u$/.test(raw)) {
      const value = BigInt(raw.slice(0, -1));
      if (value > UINT64_MAX) throw bad(`unsigned ${raw} is out of the uint64 range`);
      return { type: 'unsigned', value };
    }
    if (FLOAT.test(raw)) {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw bad(`float ${raw} is out of range`);
      return { type: 'float', value };
    }
    throw bad(`${JSON.stringify(raw.slice(0, 40))} is not a float, integer (i), unsigned (u), boolean or quoted string`);
  }

  private readString(key: string): string {
    this.pos++; // opening quote
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (c === '\\' && (this.s[this.pos + 1] === '"' || this.s[this.pos + 1] === '\\')) {
        out += this.s[this.pos + 1];
        this.pos += 2;
        continue;
      }
      this.pos++;
      if (c === '"') {
        const next = this.s[this.pos];
        if (next !== undefined && next !== ',' && next !== ' ') throw new LineError(`field ${JSON.stringify(key)}: unexpected ${JSON.stringify(next)} after the closing quote`);
        return out;
      }
      out += c;
    }
    throw new LineError(`field ${JSON.stringify(key)}: string has no closing quote`);
  }

  private expect(c: string, message: string): void {
    if (this.s[this.pos] !== c) throw new LineError(message);
    this.pos++;
  }
}

/** The fields as JSON text, integers written exactly (jsonb numbers are arbitrary precision). */
export function fieldsToJson(fields: Record<string, LpFieldValue>): string {
  const parts = Object.entries(fields).map(([k, f]) => {
    const v = f.type === 'integer' || f.type === 'unsigned' ? f.value.toString() : JSON.stringify(f.value);
    return `${JSON.stringify(k)}:${v}`;
  });
  return `{${parts.join(',')}}`;
}

/**
 * A nanosecond timestamp as ISO 8601 text with microseconds, for a timestamptz
 * parameter (PostgreSQL keeps microseconds; the last three digits are dropped).
 */
export function nsToTimestamptz(ns: bigint): string {
  const micros = ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n); // floor
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const sub = micros - ms * 1000n;
  const iso = new Date(Number(ms)).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ, or ±yyyyyy-… outside 0–9999
  return `${iso.slice(0, -1)}${sub.toString().padStart(3, '0')}Z`;
}
