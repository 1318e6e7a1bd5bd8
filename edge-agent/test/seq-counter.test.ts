import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSeqCounter } from '../src/index.js';

test('seq never repeats across restarts, including after a crash mid-block', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-seq-'));
  try {
    const file = join(dir, 'tag-1.seq');
    const first = openSeqCounter(file, 10);
    const a = Array.from({ length: 15 }, () => first.next());
    // A "crash": the process goes away without any shutdown step; a new one opens the same file.
    const second = openSeqCounter(file, 10);
    const b = Array.from({ length: 5 }, () => second.next());
    assert.deepEqual(a, Array.from({ length: 15 }, (_, i) => i));
    assert.ok(b[0]! >= 20, `resumed at ${b[0]}, after the reserved block`);
    assert.equal(new Set([...a, ...b]).size, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt counter file stops start-up with a message naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-seq-'));
  try {
    const file = join(dir, 'bad.seq');
    writeFileSync(file, 'garbage');
    assert.throws(() => openSeqCounter(file), /bad\.seq does not hold a counter/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
