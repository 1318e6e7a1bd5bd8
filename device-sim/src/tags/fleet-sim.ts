import type { SimEvent } from './events.js';
import { InjectError, type SimDevice } from './device.js';
import { DueHeap } from './heap.js';

/** Where the fleet's output goes (MQTT, NMEA over TCP, a test's array). May return a promise; the fleet awaits them per run. */
export type EventSink = (ev: SimEvent) => Promise<void> | void;

/**
 * Steps a set of simulated devices through simulated time. Nothing here
 * reads the wall clock: `runUntil(t)` steps every device due up to `t` in
 * time order (ties in the order the devices were given), so the same devices,
 * seed and calls give the same events. A real-time run just calls
 * `runUntil` from a timer (see realtime.ts).
 */
export class SimFleet {
  private readonly heap = new DueHeap<{ index: number; version: number }>();
  private readonly versions: number[];
  private readonly byId = new Map<string, { device: SimDevice; index: number }>();
  private nowMs: number;
  private pending: Array<Promise<void>> = [];
  /** Events handed to the sink so far. */
  emitted = 0;

  constructor(
    readonly devices: readonly SimDevice[],
    private readonly sink: EventSink,
    startMs: number,
  ) {
    this.nowMs = startMs;
    this.versions = devices.map(() => 0);
    devices.forEach((device, index) => {
      if (this.byId.has(device.id)) throw new InjectError(`duplicate device id ${device.id}`);
      this.byId.set(device.id, { device, index });
      this.heap.push(device.nextDueMs, index, { index, version: 0 });
    });
  }

  /** The simulated clock. */
  now(): number {
    return this.nowMs;
  }

  device(id: string): SimDevice | undefined {
    return this.byId.get(id)?.device;
  }

  /** Step every device due at or before `t`, hand their events to the sink, and wait for the sink. */
  async runUntil(t: number): Promise<void> {
    while (this.heap.peekDue() <= t) {
      const top = this.heap.pop()!;
      const { index, version } = top.value;
      if (version !== this.versions[index]) continue;
      const device = this.devices[index]!;
      this.nowMs = Math.max(this.nowMs, top.due);
      this.emit(device.step(top.due));
      this.heap.push(device.nextDueMs, index, { index, version });
      if (this.pending.length >= 10_000) await this.flush();
    }
    this.nowMs = Math.max(this.nowMs, t);
    await this.flush();
  }

  /** Run up to `at`, then apply an injected event to one device at that instant. */
  async inject(deviceId: string, action: string, args: Record<string, unknown>, at = this.nowMs): Promise<void> {
    const entry = this.byId.get(deviceId);
    if (!entry) throw new InjectError(`unknown device ${JSON.stringify(deviceId)} / 未知设备`);
    await this.runUntil(at);
    const before = entry.device.nextDueMs;
    this.emit(entry.device.inject(action, args, this.nowMs));
    if (entry.device.nextDueMs !== before) {
      const version = ++this.versions[entry.index]!;
      this.heap.push(entry.device.nextDueMs, entry.index, { index: entry.index, version });
    }
    await this.flush();
  }

  private emit(events: SimEvent[]): void {
    for (const ev of events) {
      this.emitted++;
      const r = this.sink(ev);
      if (r) this.pending.push(r);
    }
  }

  private async flush(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }
}
