import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskQueue, openStore, createLogger, type DropReport, type Priority } from '../src/index.js';

const log = createLogger('test', 'silent');
const withDir = async (fn: (dir: string) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-edge-q-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
const open = (dir: string, limits = { maxMessages: 1_000_000, maxBytes: 1 << 30 }, onDrop?: (r: DropReport) => void) =>
  new DiskQueue(openStore(join(dir, 'queue.db')), { limits, log, ...(onDrop ? { onDrop } : {}) });
const put = (q: DiskQueue, device: string, priority: Priority, tag: string) =>
  q.append(device, priority, (seq) => ({ topic: `t/${device}`, payload: JSON.stringify({ device, seq, tag }) }));
const drain = (q: DiskQueue) => {
  const out: { device: string; seq: number; tag: string }[] = [];
  let cursor = 0;
  for (;;) {
    const page = q.read(cursor, 7);
    if (page.length === 0) return out;
    for (const m of page) out.push(JSON.parse(m.payload) as { device: string; seq: number; tag: string });
    cursor = page.at(-1)!.id;
  }
};

// reading hands messages to the forwarder (protecting them from drops): look through a second handle instead
const peek = (dir: string) => drain(open(dir));

test('messages come out in emit order, each device counting its own seq from 0', () =>
  withDir(async (dir) => {
    const q = open(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => put(q, i % 2 === 0 ? 'a' : 'b', 'telemetry', `m${i}`)));
    const out = drain(q);
    assert.deepEqual(out.map((m) => m.tag), Array.from({ length: 50 }, (_, i) => `m${i}`));
    assert.deepEqual(out.filter((m) => m.device === 'a').map((m) => m.seq), Array.from({ length: 25 }, (_, i) => i));
    assert.deepEqual(out.filter((m) => m.device === 'b').map((m) => m.seq), Array.from({ length: 25 }, (_, i) => i));
    assert.equal(q.depth(), 50);
  }));

test('a message leaves only when acknowledged; depth and bytes follow', () =>
  withDir(async (dir) => {
    const q = open(dir);
    await Promise.all([put(q, 'a', 'event', 'x'), put(q, 'a', 'event', 'y')]);
    const [first] = q.read(0, 1);
    const bytesBefore = q.bytes();
    q.ack(first!.id);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(q.depth(), 1);
    assert.ok(q.bytes() < bytesBefore);
    assert.deepEqual(drain(q).map((m) => m.tag), ['y']);
  }));

test('messages, order and seq survive closing and reopening the file', () =>
  withDir(async (dir) => {
    const q1 = open(dir);
    await Promise.all([put(q1, 'a', 'telemetry', '1'), put(q1, 'a', 'telemetry', '2')]);
    q1.ack(q1.read(0, 1)[0]!.id);
    q1.close();
    // no graceful close of the database: the next process just opens the file
    const q2 = open(dir);
    assert.equal(q2.depth(), 1);
    await put(q2, 'a', 'telemetry', '3');
    assert.deepEqual(drain(q2).map((m) => [m.tag, m.seq]), [['2', 1], ['3', 2]]);
    assert.equal(q2.takeSeq('a'), 3);
    const q3 = open(dir);
    await put(q3, 'a', 'telemetry', '4');
    assert.deepEqual(drain(q3).at(-1), { device: 'a', seq: 4, tag: '4' }, 'seq taken by takeSeq is never reused');
  }));

test('a full queue drops telemetry first, then events, oldest first, never in-flight messages, and reports it', () =>
  withDir(async (dir) => {
    const drops: DropReport[] = [];
    const q = open(dir, { maxMessages: 10, maxBytes: 1 << 30 }, (r) => drops.push(r));
    await Promise.all([
      put(q, 'a', 'telemetry', 't0'),
      put(q, 'a', 'alarm', 'A0'),
      put(q, 'b', 'telemetry', 't1'),
      put(q, 'a', 'event', 'e0'),
      put(q, 'b', 'telemetry', 't2'),
      put(q, 'a', 'event', 'e1'),
      put(q, 'a', 'alarm', 'A1'),
      put(q, 'b', 'telemetry', 't3'),
    ]);
    // t0 is handed to the forwarder (in flight): it must not be dropped
    assert.equal(q.read(0, 1).length, 1);
    await Promise.all([put(q, 'a', 'alarm', 'A2'), put(q, 'a', 'alarm', 'A3'), put(q, 'a', 'alarm', 'A4'), put(q, 'a', 'alarm', 'A5')]);
    assert.equal(q.depth(), 10);
    assert.deepEqual(peek(dir).map((m) => m.tag), ['t0', 'A0', 'e0', 'e1', 'A1', 't3', 'A2', 'A3', 'A4', 'A5']);
    assert.deepEqual(drops, [{ count: 2, byPriority: { telemetry: 2 }, byDevice: { b: 2 }, total: 2 }]);
    await Promise.all(['A6', 'A7', 'A8', 'A9'].map((t) => put(q, 'c', 'alarm', t)));
    assert.deepEqual(peek(dir).map((m) => m.tag), ['t0', 'A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9']);
    assert.deepEqual(drops[1], { count: 4, byPriority: { telemetry: 1, event: 2, alarm: 1 }, byDevice: { a: 3, b: 1 }, total: 6 });
    assert.equal(q.dropped(), 6);
  }));

test('the byte bound drops too', () =>
  withDir(async (dir) => {
    const q = open(dir, { maxMessages: 1_000_000, maxBytes: 2_000 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => put(q, 'a', 'telemetry', `m${i}`)));
    assert.ok(q.bytes() <= 2_000, `bytes ${q.bytes()}`);
    assert.ok(q.dropped() > 0);
    const tags = drain(q).map((m) => m.tag);
    assert.equal(tags.at(-1), 'm99', 'the newest telemetry is kept, the oldest dropped');
  }));

test('a read returns one page, whatever the depth', () =>
  withDir(async (dir) => {
    const q = open(dir);
    await Promise.all(Array.from({ length: 3_000 }, (_, i) => put(q, 'a', 'telemetry', `m${i}`)));
    assert.equal(q.read(0, 500).length, 500);
    assert.equal(q.depth(), 3_000);
  }));
