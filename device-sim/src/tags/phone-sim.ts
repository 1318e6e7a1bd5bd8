import { offset } from '../route.js';
import type { SimEvent } from './events.js';
import { InjectError, numArg, type SimDevice } from './device.js';
import { DEFAULT_GNSS, makeFix } from './gnss.js';
import { streamFor, type Rand } from './rng.js';
import type { TruePosition } from './routine.js';
import type { Place } from './world.js';

/**
 * A victim's phone under a protection order: it reports the victim's position
 * (a `tag.fix` from the phone's own device id) every interval. The victim
 * stays home unless an injected `approach` puts them near the subject.
 */
export class PhoneSim implements SimDevice {
  nextDueMs: number;
  private readonly rand: Rand;
  private away: { place: Place; untilMs: number } | null = null;

  constructor(
    readonly id: string,
    readonly siteId: string,
    private readonly home: Place,
    seed: number,
    startMs: number,
    private readonly intervalMs = 60_000,
  ) {
    this.rand = streamFor(seed, `${id}/phone`);
    this.nextDueMs = startMs + Math.floor(this.rand() * intervalMs);
  }

  truePosition(t: number): TruePosition {
    const p = this.away && t < this.away.untilMs ? this.away.place : this.home;
    return { lon: p.lon, lat: p.lat, indoor: p.indoor, speedMps: 0, headingDeg: 0, placeId: p.id };
  }

  step(now: number): SimEvent[] {
    this.nextDueMs = now + this.intervalMs;
    return [makeFix(this.id, this.siteId, now, this.truePosition(now), this.rand, { ...DEFAULT_GNSS, outlierRate: 0 })];
  }

  inject(action: string, args: Record<string, unknown>, now: number): SimEvent[] {
    const where = `phone ${this.id} ${action}`;
    if (action !== 'approach') throw new InjectError(`${where}: unknown action / 未知动作 (known: approach)`);
    const lon = numArg(args, 'lon', undefined, where, -180);
    const lat = numArg(args, 'lat', undefined, where, -90);
    const p = offset({ lat, lon }, numArg(args, 'distance_m', 150, where), this.rand() * 360);
    this.away = { place: { id: 'approach', lon: p.lon, lat: p.lat, indoor: false }, untilMs: now + numArg(args, 'stay_min', 15, where) * 60_000 };
    return this.step(now);
  }
}
