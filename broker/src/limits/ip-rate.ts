import { isIPv4, isIPv6 } from 'node:net';
import { TokenBucket } from './token-bucket.js';

/**
 * The key a connection's source address is rate-limited under: an IPv4 address
 * as is (also when IPv4-mapped, `::ffff:a.b.c.d`), an IPv6 address by its /64,
 * since one host is normally given a whole /64 and could otherwise rotate
 * addresses inside it [RFC 4291 2.5.4].
 */
export function ipKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(address) || !isIPv6(address)) return address;
  const addr = address.split('%')[0]!.toLowerCase();
  const [head = '', tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** What admit() decided for one connection attempt. */
export interface AdmitDecision {
  ok: boolean;
  /** Refusals of this key since it was last admitted (1 = the first of a run, worth a log line). */
  refusedInRow: number;
}

/** Options of ConnectionRateLimiter. */
export interface ConnectionRateOptions {
  /** Connections each key gains per second. */
  perSecond: number;
  /** Connections a key may open at once after being quiet. */
  burst: number;
  /** How often idle keys are forgotten, in ms. Default 1 000. */
  sweepEveryMs?: number;
}

/**
 * Connections per source address per second, one token bucket per key. Keys
 * whose bucket has refilled are forgotten on a sweep, so memory follows the
 * addresses active in the last few seconds, not every address ever seen.
 */
export class ConnectionRateLimiter {
  private readonly entries = new Map<string, { bucket: TokenBucket; refusedInRow: number }>();
  private lastSweepMs: number | undefined;

  constructor(private readonly opts: ConnectionRateOptions) {}

  /** Decide whether a new connection from `key` may proceed at `nowMs`. */
  admit(key: string, nowMs: number): AdmitDecision {
    this.maybeSweep(nowMs);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { bucket: new TokenBucket(this.opts.perSecond, this.opts.burst, nowMs), refusedInRow: 0 };
      this.entries.set(key, entry);
    }
    if (entry.bucket.tryTake(nowMs)) {
      entry.refusedInRow = 0;
      return { ok: true, refusedInRow: 0 };
    }
    entry.refusedInRow += 1;
    return { ok: false, refusedInRow: entry.refusedInRow };
  }

  /** How many keys are remembered right now. */
  get size(): number {
    return this.entries.size;
  }

  private maybeSweep(nowMs: number): void {
    if (this.lastSweepMs !== undefined && nowMs - this.lastSweepMs < (this.opts.sweepEveryMs ?? 1_000)) return;
    this.lastSweepMs = nowMs;
    for (const [key, entry] of this.entries) if (entry.bucket.isFull(nowMs)) this.entries.delete(key);
  }
}
