/** A binary min-heap of (due, order) keys with a payload; ties break by `order`, so runs replay exactly. */
export class DueHeap<T> {
  private items: Array<{ due: number; order: number; value: T }> = [];

  get size(): number {
    return this.items.length;
  }

  push(due: number, order: number, value: T): void {
    const a = this.items;
    a.push({ due, order, value });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peekDue(): number {
    return this.items[0]?.due ?? Infinity;
  }

  pop(): { due: number; order: number; value: T } | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = this.items[i]!;
    const b = this.items[j]!;
    return a.due < b.due || (a.due === b.due && a.order < b.order);
  }
}
