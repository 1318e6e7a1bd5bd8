/**
 * A hashed timer wheel keyed by name: one pending deadline per key,
 * rescheduled or cancelled in O(1), fired in (due, key) order by `advance`.
 * Driven only by the times it is given (event time and clock ticks), never
 * by the wall clock, so a replay fires the same timers at the same times.
 */
export class TimerWheel {
  private readonly due = new Map<string, number>();
  /** The bucket each key sits in (a deadline already behind the cursor goes into the cursor's bucket). */
  private readonly where = new Map<string, number>();
  private readonly buckets = new Map<number, Set<string>>();
  private cursor = -Infinity;

  constructor(private readonly resolutionMs = 1000) {}

  get size(): number {
    return this.due.size;
  }

  /** Set (or move) `key`'s deadline; `undefined` cancels it. */
  set(key: string, at: number | undefined): void {
    const old = this.due.get(key);
    if (old === at) return;
    if (old !== undefined) {
      this.buckets.get(this.where.get(key)!)?.delete(key);
      this.where.delete(key);
    }
    if (at === undefined) {
      this.due.delete(key);
      return;
    }
    this.due.set(key, at);
    const idx = Math.max(Math.floor(at / this.resolutionMs), this.cursor);
    this.where.set(key, idx);
    let b = this.buckets.get(idx);
    if (!b) this.buckets.set(idx, (b = new Set()));
    b.add(key);
  }

  get(key: string): number | undefined {
    return this.due.get(key);
  }

  /** Remove and return every timer due at or before `to`, earliest first (ties by key). */
  takeDue(to: number): Array<{ key: string; at: number }> {
    const last = Math.floor(to / this.resolutionMs);
    const out: Array<{ key: string; at: number }> = [];
    const hit: number[] = [];
    if (this.due.size === 0) {
      if (last > this.cursor) this.cursor = last;
      return out;
    }
    const span = last - this.cursor;
    const visit = (idx: number) => {
      const b = this.buckets.get(idx);
      if (!b) return;
      const before = out.length;
      for (const key of b) {
        const at = this.due.get(key)!;
        if (at <= to) out.push({ key, at });
      }
      if (out.length > before) hit.push(idx);
    };
    if (span > this.buckets.size || !Number.isFinite(span)) {
      for (const idx of this.buckets.keys()) if (idx <= last) visit(idx);
    } else for (let idx = this.cursor; idx <= last; idx++) visit(idx);
    if (out.length === 0) {
      if (last > this.cursor) this.cursor = last;
      return out;
    }
    for (const { key } of out) this.set(key, undefined);
    for (const idx of hit) if (this.buckets.get(idx)?.size === 0) this.buckets.delete(idx);
    // Buckets before `last` hold no due timer now; the cursor stays at `last` (it may hold later ones).
    if (last > this.cursor) this.cursor = last;
    return out.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Every pending timer, for a snapshot. */
  entries(): Array<[string, number]> {
    return [...this.due.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }
}
