import type { SimEvent } from './events.js';
import { InjectError, numArg, strArg, type SimDevice } from './device.js';
import { DEFAULT_GNSS, makeFix, type GnssOptions } from './gnss.js';
import { between, gaussian, streamFor, type Rand } from './rng.js';
import { positionOn, RoutineTrack, type Segment, type TruePosition } from './routine.js';
import { streetPath } from './paths.js';
import { localMidnight, SPEED_MPS, type Place, type Subject } from './world.js';

/** Timing and behaviour of a simulated tag. */
export interface TagSimOptions {
  /** Time between fixes. */
  fixIntervalMs: number;
  /** Time between fixes in pursuit mode. */
  pursuitIntervalMs: number;
  /** Time between health reports (more often when the battery is critical). */
  healthIntervalMs: number;
  /** Battery at the start, %. */
  batteryPct: number;
  /** Fixes kept while the signal is lost, sent when it returns (the oldest are dropped past this). */
  bufferLimit: number;
  firmware: string;
  gnss: GnssOptions;
}

export const DEFAULT_TAG_OPTIONS: TagSimOptions = {
  fixIntervalMs: 30_000,
  pursuitIntervalMs: 1_000,
  healthIntervalMs: 300_000,
  batteryPct: 85,
  bufferLimit: 1_000,
  firmware: 'vt-2.3.1',
  gnss: DEFAULT_GNSS,
};

/** Battery below this is critical: health is reported with every fix. */
export const CRITICAL_BATTERY_PCT = 10;
const BATTERY_THRESHOLDS = [20, CRITICAL_BATTERY_PCT, 5];
const NORMAL_DRAIN_PCT_PER_H = 0.8;
const CHARGE_PCT_PER_H = 25;
const MIN = 60_000;

/** Resolves a zone id to a point inside it (its centre) for `enter-zone`. */
export type ZoneLookup = (zoneId: string) => Place | undefined;

/**
 * A GPS tag worn by a subject: follows the subject's routine (or an injected
 * detour), sends a fix every interval (every second in pursuit), health every
 * few minutes, tamper when the strap is cut or the case opened; while the
 * signal is lost it keeps what it would have sent and sends it on return.
 * Everything random comes from a stream seeded by (seed, tag id).
 */
export class TagSim implements SimDevice {
  readonly id: string;
  readonly siteId: string;
  nextDueMs: number;
  private readonly rand: Rand;
  private readonly routine: RoutineTrack;
  private detour: Segment[] = [];
  private pursuitUntilMs = 0;
  private nextHealthMs: number;
  private battery: number;
  private batteryAtMs: number;
  private drain: { toPct: number; pctPerMs: number } | null = null;
  private lastThreshold = Infinity;
  private signalLostUntilMs = 0;
  private buffered: SimEvent[] = [];
  /** Events dropped because the loss buffer was full. */
  dropped = 0;

  constructor(
    readonly subject: Subject,
    seed: number,
    startMs: number,
    private readonly zones: ZoneLookup,
    readonly opts: TagSimOptions = DEFAULT_TAG_OPTIONS,
    avoid?: (p: [number, number]) => boolean,
  ) {
    this.id = subject.tagId;
    this.siteId = subject.siteId;
    this.rand = streamFor(seed, `${subject.tagId}/tag`);
    this.routine = new RoutineTrack(subject, seed, avoid);
    // tags of a fleet do not all fix at the same instant
    this.nextDueMs = startMs + Math.floor(this.rand() * opts.fixIntervalMs);
    this.nextHealthMs = this.nextDueMs;
    this.battery = opts.batteryPct;
    this.batteryAtMs = startMs;
    for (const t of BATTERY_THRESHOLDS) if (this.battery <= t) this.lastThreshold = t;
  }

  /** Where the wearer really is at `t`. */
  truePosition(t: number): TruePosition {
    const seg = this.detour.find((s) => t >= s.startMs && t < s.endMs);
    return seg ? positionOn(seg, t) : this.routine.at(t);
  }

  batteryPct(): number {
    return this.battery;
  }

  step(now: number): SimEvent[] {
    const out: SimEvent[] = [];
    if (this.buffered.length > 0 && now >= this.signalLostUntilMs) out.push(...this.buffered.splice(0));
    const fresh: SimEvent[] = [makeFix(this.id, this.siteId, now, this.truePosition(now), this.rand, this.opts.gnss)];
    this.updateBattery(now);
    const crossed = this.crossedThreshold();
    if (now >= this.nextHealthMs || crossed || this.battery <= CRITICAL_BATTERY_PCT) {
      fresh.push(this.health(now));
      this.nextHealthMs = now + this.opts.healthIntervalMs;
    }
    this.nextDueMs = now + (now < this.pursuitUntilMs ? this.opts.pursuitIntervalMs : this.opts.fixIntervalMs);
    return [...out, ...this.send(fresh, now)];
  }

  inject(action: string, args: Record<string, unknown>, now: number): SimEvent[] {
    const where = `tag ${this.id} ${action}`;
    switch (action) {
      case 'enter-zone': {
        const zoneId = strArg(args, 'zone', where);
        const zone = this.zones(zoneId);
        if (!zone) throw new InjectError(`${where}: unknown zone ${JSON.stringify(zoneId)} / 未知区域`);
        this.detourTo(zone, now, numArg(args, 'stay_min', 20, where) * MIN);
        return this.fixNow(now);
      }
      case 'goto': {
        const place: Place = { id: 'goto', lon: numArg(args, 'lon', undefined, where, -180), lat: numArg(args, 'lat', undefined, where, -90), indoor: args.indoor === true };
        this.detourTo(place, now, numArg(args, 'stay_min', 20, where) * MIN);
        return this.fixNow(now);
      }
      case 'out-after-curfew': {
        // out at the subject's leisure place until `minutes` past tonight's curfew
        const curfewMs = localMidnight(now) + this.subject.routine.curfewMin * MIN;
        const untilMs = Math.max(now, curfewMs) + numArg(args, 'minutes', 60, where, 1) * MIN;
        this.detourTo(this.subject.leisure, now, untilMs - now);
        return this.fixNow(now);
      }
      case 'strap-cut':
      case 'strap-restore':
      case 'case-open':
      case 'case-close': {
        const what = action.startsWith('strap') ? 'strap' : 'case';
        const active = action === 'strap-cut' || action === 'case-open';
        return this.send([{ dev: this.id, site: this.siteId, ts: now, type: 'tag.tamper', body: { what, active } }], now);
      }
      case 'battery-drain': {
        this.updateBattery(now);
        const toPct = numArg(args, 'to_pct', 5, where, 1);
        const overMs = numArg(args, 'over_min', 10, where, 0) * MIN;
        this.drain = { toPct, pctPerMs: overMs === 0 ? Infinity : Math.max(0, this.battery - toPct) / overMs };
        if (overMs === 0) this.battery = Math.min(this.battery, toPct);
        return this.crossedThreshold() ? this.send([this.health(now)], now) : [];
      }
      case 'battery-charge': {
        this.updateBattery(now);
        this.drain = null;
        this.battery = Math.max(this.battery, numArg(args, 'to_pct', 100, where, 1));
        this.lastThreshold = Infinity;
        for (const t of BATTERY_THRESHOLDS) if (this.battery <= t) this.lastThreshold = t;
        return this.send([this.health(now)], now);
      }
      case 'signal-loss': {
        this.signalLostUntilMs = now + numArg(args, 'seconds', 300, where, 1) * 1000;
        return [];
      }
      case 'pursuit': {
        this.pursuitUntilMs = now + numArg(args, 'seconds', 600, where, 1) * 1000;
        return this.fixNow(now);
      }
      default:
        throw new InjectError(`${where}: unknown action / 未知动作 (known: enter-zone, goto, out-after-curfew, strap-cut, strap-restore, case-open, case-close, battery-drain, battery-charge, signal-loss, pursuit, victim-approach)`);
    }
  }

  /** A fix at once (a geofence crossing or pursuit start), then the usual interval from there. */
  private fixNow(now: number): SimEvent[] {
    return this.step(now);
  }

  /** Go to `place` now, stay `stayMs`, then travel back to where the routine has the subject. */
  private detourTo(place: Place, now: number, stayMs: number): void {
    const endStay = now + stayMs;
    const back = this.routine.at(endStay);
    const path = streetPath([place.lon, place.lat], [back.lon, back.lat], this.rand);
    const speed = SPEED_MPS.vehicle;
    const endBack = endStay + Math.round((path.lengthM / speed) * 1000);
    const to: Place = { id: back.placeId ?? 'route', lon: back.lon, lat: back.lat, indoor: back.indoor };
    this.detour = [
      { kind: 'stay', startMs: now, endMs: endStay, place },
      { kind: 'move', startMs: endStay, endMs: endBack, path, speedMps: speed, to },
    ];
  }

  private send(events: SimEvent[], now: number): SimEvent[] {
    if (now >= this.signalLostUntilMs) return events;
    this.buffered.push(...events);
    const over = this.buffered.length - this.opts.bufferLimit;
    if (over > 0) {
      this.buffered.splice(0, over);
      this.dropped += over;
    }
    return [];
  }

  private health(now: number): SimEvent {
    const pos = this.truePosition(now);
    const rssi = Math.round((pos.indoor ? -92 : -75) + gaussian(this.rand) * 4);
    return {
      dev: this.id,
      site: this.siteId,
      ts: now,
      type: 'tag.health',
      body: {
        battery_pct: Math.round(this.battery * 10) / 10,
        rssi_dbm: Math.max(-140, Math.min(-30, rssi)),
        charging: this.charging(now),
        temp_c: Math.round(between(this.rand, 31, 34) * 10) / 10,
        fw: this.opts.firmware,
      },
    };
  }

  /** At home in the evening, the subject charges the tag (unless an injected drain is going on). */
  private charging(t: number): boolean {
    if (this.drain) return false;
    const minuteOfDay = (t - localMidnight(t)) / MIN;
    return minuteOfDay >= 21 * 60 && minuteOfDay < 23 * 60 && this.truePosition(t).placeId === this.subject.home.id && this.battery < 100;
  }

  private updateBattery(now: number): void {
    const dt = now - this.batteryAtMs;
    if (dt <= 0) return;
    if (this.drain) {
      this.battery = Math.max(this.drain.toPct, this.battery - this.drain.pctPerMs * dt);
    } else if (this.charging(now)) {
      this.battery = Math.min(100, this.battery + (CHARGE_PCT_PER_H * dt) / 3_600_000);
    } else {
      this.battery = Math.max(1, this.battery - (NORMAL_DRAIN_PCT_PER_H * dt) / 3_600_000);
    }
    this.batteryAtMs = now;
  }

  /** True once each time the battery falls through 20 %, 10 % or 5 %. */
  private crossedThreshold(): boolean {
    const t = BATTERY_THRESHOLDS.filter((x) => this.battery <= x).pop() ?? Infinity;
    if (t < this.lastThreshold) {
      this.lastThreshold = t;
      return true;
    }
    return false;
  }
}
