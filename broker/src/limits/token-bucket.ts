/**
 * A token bucket: holds at most `capacity` tokens and gains `ratePerSecond` of
 * them each second. Time is handed in (ms from any monotonic origin), never read,
 * so tests drive it with fixed timestamps.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.updatedMs = nowMs;
  }

  /** Take one token if there is one; false means the caller is over the rate. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True once the bucket has refilled completely, i.e. forgetting it changes nothing. */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.capacity;
  }

  private refill(nowMs: number): void {
    // a clock that steps back must not mint tokens or take them away
    const elapsedMs = Math.max(0, nowMs - this.updatedMs);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs * this.ratePerSecond) / 1_000);
    this.updatedMs = Math.max(this.updatedMs, nowMs);
  }
}
