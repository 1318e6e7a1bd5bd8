/** One block of ffmpeg's `-progress` output (key=value lines ending with `progress=…`). */
export interface ProgressBlock {
  frame?: number;
  totalSize?: number;
  end: boolean;
}

/**
 * Splits ffmpeg's `-progress pipe:1` stream into blocks. Unknown keys and
 * `N/A` values are ignored.
 */
export class ProgressParser {
  private rest = '';
  private block: ProgressBlock = { end: false };

  constructor(private readonly onBlock: (b: ProgressBlock) => void) {}

  push(chunk: string): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.trim();
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 1).trim();
      const n = Number(value);
      if (key === 'frame' && Number.isFinite(n)) this.block.frame = n;
      else if (key === 'total_size' && Number.isFinite(n)) this.block.totalSize = n;
      else if (key === 'progress') {
        this.block.end = value === 'end';
        this.onBlock(this.block);
        this.block = { end: false };
      }
    }
  }
}

interface Sample {
  at: number;
  frame: number;
  bytes: number;
}

/**
 * Frame rate and bit rate over the last `windowMs` of progress samples, so a
 * camera's figures follow changes within seconds without jumping at every block.
 */
export class RateWindow {
  private samples: Sample[] = [];

  constructor(private readonly windowMs = 3000) {}

  reset(): void {
    this.samples = [];
  }

  add(at: number, frame: number, bytes: number): void {
    this.samples.push({ at, frame, bytes });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift();
  }

  /** `{ fps, kbps }` once two samples at least 400 ms apart are known. */
  rates(): { fps: number; kbps: number } | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 400) return undefined;
    const s = (last.at - first.at) / 1000;
    return { fps: Math.max(0, (last.frame - first.frame) / s), kbps: Math.max(0, ((last.bytes - first.bytes) * 8) / 1000 / s) };
  }
}
