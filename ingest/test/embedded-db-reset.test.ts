import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { startEmbeddedDatabase } from '../src/index.js';

// A client killed with SIGKILL can leave a TCP reset (ECONNRESET) on the embedded database's socket.
// pglite-socket 0.0.19 turned that into an unhandled rejection, which ends the database's process
// (src/pglite-socket-lock-release.ts). The database must shrug it off and serve the next client.
test('a client connection reset (as from a killed service) neither ends the embedded database nor keeps its lock', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const db = await startEmbeddedDatabase({ port: 0 });
  try {
    for (let i = 0; i < 3; i++) {
      const victim = new pg.Client(db.url);
      victim.on('error', () => undefined);
      await victim.connect();
      await victim.query('SELECT 1');
      // a TCP RST instead of a goodbye, as the kernel sends for a killed process with unread data
      (victim as unknown as { connection: { stream: Socket } }).connection.stream.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection');
    const next = new pg.Client(db.url);
    await next.connect();
    const { rows } = await next.query<{ n: number }>('SELECT 41 + 1 AS n');
    assert.equal(rows[0]!.n, 42, 'the next client is served');
    await next.end();
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await db.close();
  }
});
