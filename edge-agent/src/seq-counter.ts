import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

/** A per-device message counter that never repeats across restarts. */
export interface SeqCounter {
  next(): number;
}

/**
 * Open the counter kept in `file`. Rather than write on every message, it
 * reserves `blockSize` numbers at a time and records the end of the block
 * durably (write, fsync, rename) before handing any out; after a crash it
 * resumes past the recorded end, so a number may be skipped, never reused
 * (the envelope's `seq` contract in ARCHITECTURE.md).
 */
export function openSeqCounter(file: string, blockSize = 1000): SeqCounter {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
  let next = readReserved(file);
  let reservedEnd = next;
  const reserve = () => {
    reservedEnd = next + blockSize;
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, `${reservedEnd}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  };
  return {
    next() {
      if (next >= reservedEnd) reserve();
      return next++;
    },
  };
}

function readReserved(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`VIGIL_EDGE_SEQ: ${file} does not hold a counter (${JSON.stringify(text.slice(0, 40))})`);
  return value;
}
