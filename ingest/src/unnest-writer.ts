import { COLUMNS } from './records.js';
import type { RowWriter } from './writer.js';

/** PostgreSQL type of each column, in COLUMNS order: what each array parameter is cast to. */
const TYPES: { readonly [T in keyof typeof COLUMNS]: readonly string[] } = {
  tag_fixes: ['timestamptz', 'uuid', 'text', 'text', 'bigint', 'double precision', 'double precision', 'real', 'real', 'real', 'real', 'smallint', 'text'],
  device_events: ['timestamptz', 'uuid', 'text', 'text', 'bigint', 'text', 'jsonb'],
  metrics: ['timestamptz', 'text', 'text', 'text', 'jsonb', 'jsonb'],
  dead_letters: ['text', 'text', 'bytea', 'text', 'text', 'text'],
};

/** `INSERT ... SELECT * FROM unnest($1::t1[], ...)`: one fixed statement per table, whatever the row count. */
function statementFor(table: keyof typeof COLUMNS, dedupe: boolean): { name: string; text: string } {
  const arrays = TYPES[table].map((type, i) => `$${i + 1}::${type}[]`).join(', ');
  const conflict = dedupe ? ' ON CONFLICT DO NOTHING' : '';
  return {
    name: `vigil_unnest_${table}${dedupe ? '_dedupe' : ''}`,
    text: `INSERT INTO ${table} (${COLUMNS[table].join(', ')}) SELECT * FROM unnest(${arrays})${conflict}`,
  };
}

const STATEMENTS = new Map<string, { name: string; text: string }>();

function unnestWriter(named: boolean, binary = true): RowWriter {
  const write = async (...[client, table, rows, dedupe]: Parameters<RowWriter>): Promise<number> => {
    if (rows.length === 0) return 0;
    const key = `${table}:${dedupe}`;
    let statement = STATEMENTS.get(key);
    if (!statement) STATEMENTS.set(key, (statement = statementFor(table, dedupe)));
    const types = TYPES[table];
    const values: (string | Buffer)[] = new Array<string | Buffer>(types.length);
    for (let c = 0; c < types.length; c++) values[c] = (binary ? binaryArray(rows, c, types[c]!) : undefined) ?? arrayLiteral(rows, c);
    const res = await client.query(named ? { name: statement.name, text: statement.text, values } : { text: statement.text, values });
    return res.rowCount ?? 0;
  };
  return Object.assign(write, { oneStatement: true });
}

/**
 * A RowWriter sending a batch as one `INSERT ... SELECT * FROM unnest(...)
 * ON CONFLICT DO NOTHING` with one array parameter per column: the statement
 * text is the same for every batch, and the parameters are a dozen array
 * literals rather than one bind parameter per value, so both sides do far less
 * per row than for a multi-row INSERT (bench/ingest-write.ts). The dedupe stays
 * in the database (the same unique keys as every other writer), so two ingest
 * processes can never double a row. This one names the statement, so each
 * connection parses and plans it once.
 */
export const unnestRows = unnestWriter(true);

/**
 * unnestRows with an unnamed statement, parsed on every batch: for the embedded PGlite, whose single
 * backend outlives the client connections, so a name prepared by an earlier connection would clash.
 */
export const unnestRowsUnnamed = unnestWriter(false);

/** unnestRows with every column as a text array literal: only for comparing in bench/ingest-write.ts. */
export const unnestRowsText = unnestWriter(true, false);

/** Column `c` of `rows` as a PostgreSQL array literal [PostgreSQL docs, 8.15.6 "Array Input and Output Syntax"]. */
export function arrayLiteral(rows: readonly (readonly unknown[])[], c: number): string {
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out += ',';
    out += arrayElement(rows[i]![c]);
  }
  return `${out}}`;
}

const NEEDS_ESCAPE = /["\\]/;

/**
 * A Date as PostgreSQL reads it: toISOString for years 0–9999; outside them (`+275760-...` from
 * toISOString is not PostgreSQL's syntax) the year spelled out, with BC before year 1 as node-postgres does.
 */
function timestampText(d: Date): string {
  const year = d.getUTCFullYear();
  if (year >= 1 && year <= 9999) return d.toISOString();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const bc = year < 1;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  return `${pad(bc ? 1 - year : year, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${time}+00:00${bc ? ' BC' : ''}`;
}

/** One element: NULL unquoted; numbers, booleans and timestamps bare (they hold no delimiters); everything else double-quoted. */
function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return timestampText(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  // bytea hex input is \x...; the backslash is escaped once more inside a quoted element.
  if (Buffer.isBuffer(v)) return `"\\\\x${v.toString('hex')}"`;
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
}

/** Element type OIDs (pg_type) of the columns sent as binary arrays [PostgreSQL docs, "Binary Format" of array_send]. */
const BINARY_OIDS: Readonly<Record<string, number>> = {
  timestamptz: 1184,
  uuid: 2950,
  text: 25,
  bigint: 20,
  smallint: 21,
  'double precision': 701,
  bytea: 17,
};

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), in ms. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

/** Value of each hex digit's char code, -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;

/** Bytes one element takes after its 4-byte length, or -1 if binary cannot carry `v` exactly as the text path would store it. */
function binarySize(v: unknown, type: string): number {
  switch (type) {
    case 'timestamptz':
      // only whole ms within ±285,000 years of 1970 (µs stay safe integers); strings keep their own precision as text
      return v instanceof Date && Math.abs(v.getTime()) < 9e12 ? 8 : -1;
    case 'uuid':
      return typeof v === 'string' && v.length === 36 && v[8] === '-' && v[13] === '-' && v[18] === '-' && v[23] === '-' ? 16 : -1;
    case 'text':
      return typeof v === 'string' ? Buffer.byteLength(v) : -1;
    case 'bigint':
      return (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'bigint' && BigInt.asIntN(64, v) === v) ? 8 : -1;
    case 'smallint':
      return typeof v === 'number' && Number.isInteger(v) && v >= -32768 && v <= 32767 ? 2 : -1;
    case 'double precision':
      return typeof v === 'number' ? 8 : -1;
    case 'bytea':
      return Buffer.isBuffer(v) ? v.byteLength : -1;
    default:
      return -1;
  }
}

/**
 * Column `c` of `rows` as a one-dimensional array in PostgreSQL's binary format (array_recv): ndim,
 * has-nulls flag, element OID, length and lower bound, then each element as int32 length (-1 for NULL)
 * and its bytes. Undefined if the column's type has no binary encoder here or a value does not fit one,
 * so the caller sends that column as a text literal instead and the server parses it as before.
 */
export function binaryArray(rows: readonly (readonly unknown[])[], c: number, type: string): Buffer | undefined {
  const oid = BINARY_OIDS[type];
  if (oid === undefined) return undefined;
  let size = 20;
  let hasNull = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![c];
    if (v === null || v === undefined) {
      hasNull = 1;
      size += 4;
      continue;
    }
    const n = binarySize(v, type);
    if (n < 0) return undefined;
    size += 4 + n;
  }
  const buf = Buffer.allocUnsafe(size);
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(hasNull, 4);
  buf.writeUInt32BE(oid, 8);
  buf.writeInt32BE(rows.length, 12);
  buf.writeInt32BE(1, 16);
  let at = 20;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]![c];
    if (v === null || v === undefined) {
      buf.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    switch (type) {
      case 'timestamptz': {
        buf.writeInt32BE(8, at);
        writeInt64(buf, ((v as Date).getTime() - PG_EPOCH_MS) * 1000, at + 4);
        at += 12;
        break;
      }
      case 'uuid': {
        buf.writeInt32BE(16, at);
        if (!writeUuid(buf, v as string, at + 4)) return undefined;
        at += 20;
        break;
      }
      case 'text': {
        const n = buf.write(v as string, at + 4, 'utf8');
        buf.writeInt32BE(n, at);
        at += 4 + n;
        break;
      }
      case 'bigint': {
        buf.writeInt32BE(8, at);
        if (typeof v === 'bigint') buf.writeBigInt64BE(v, at + 4);
        else writeInt64(buf, v as number, at + 4);
        at += 12;
        break;
      }
      case 'smallint': {
        buf.writeInt32BE(2, at);
        buf.writeInt16BE(v as number, at + 4);
        at += 6;
        break;
      }
      case 'double precision': {
        buf.writeInt32BE(8, at);
        buf.writeDoubleBE(v as number, at + 4);
        at += 12;
        break;
      }
      case 'bytea': {
        const b = v as Buffer;
        buf.writeInt32BE(b.byteLength, at);
        b.copy(buf, at + 4);
        at += 4 + b.byteLength;
        break;
      }
    }
  }
  return buf;
}

/** A safe integer as a big-endian int64. */
function writeInt64(buf: Buffer, v: number, at: number): void {
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * TWO_32, at + 4);
}

/** The 16 bytes of a canonical 8-4-4-4-12 hex UUID (either case); false if a character is not hex. */
function writeUuid(buf: Buffer, s: string, at: number): boolean {
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (j === 8 || j === 13 || j === 18 || j === 23) j++;
    const a = s.charCodeAt(j);
    const b = s.charCodeAt(j + 1);
    const hi = a < 128 ? HEX[a]! : -1;
    const lo = b < 128 ? HEX[b]! : -1;
    if (hi < 0 || lo < 0) return false;
    buf[at + i] = (hi << 4) | lo;
    j += 2;
  }
  return true;
}
