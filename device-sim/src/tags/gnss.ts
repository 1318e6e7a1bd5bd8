import { offset } from '../route.js';
import type { SimEvent } from './events.js';
import { between, gaussian, type Rand } from './rng.js';
import type { TruePosition } from './routine.js';

/**
 * User equivalent range error, metres: horizontal accuracy = HDOP × UERE.
 * The NMEA driver uses the same figure by default (docs/nmea-framing.md).
 */
export const UERE_M = 5;

/** How often a fix is an outlier (multipath off a building), and how far off. */
export interface GnssOptions {
  outlierRate: number;
  outlierMinM: number;
  outlierMaxM: number;
}

export const DEFAULT_GNSS: GnssOptions = { outlierRate: 0.003, outlierMinM: 80, outlierMaxM: 400 };

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

/**
 * A GPS fix of the true position: outdoors HDOP 0.7–1.4 with 8–12 satellites,
 * indoors HDOP 2.5–6 with 4–6; the error is drawn from a 2-D normal whose
 * 68 % circle is the reported accuracy (σ per axis = acc / 1.515), except an
 * outlier now and then, far off with an ordinary-looking accuracy.
 */
export function makeFix(dev: string, site: string, ts: number, pos: TruePosition, rand: Rand, opts: GnssOptions = DEFAULT_GNSS): Extract<SimEvent, { type: 'tag.fix' }> {
  const hdop = round(pos.indoor ? between(rand, 2.5, 6) : between(rand, 0.7, 1.4), 1);
  const sats = pos.indoor ? 4 + Math.floor(rand() * 3) : 8 + Math.floor(rand() * 5);
  const accM = round(hdop * UERE_M, 1);
  const outlier = rand() < opts.outlierRate;
  const sigma = accM / 1.515;
  const errM = outlier ? between(rand, opts.outlierMinM, opts.outlierMaxM) : Math.hypot(gaussian(rand), gaussian(rand)) * sigma;
  const p = offset({ lat: pos.lat, lon: pos.lon }, errM, rand() * 360);
  const prns: number[] = [];
  const first = 1 + Math.floor(rand() * 20);
  for (let i = 0; i < sats; i++) prns.push(((first + i * 3) % 32) + 1);
  const body: Extract<SimEvent, { type: 'tag.fix' }>['body'] = {
    lat: round(p.lat, 7),
    lon: round(p.lon, 7),
    acc_m: accM,
    alt_m: round(12 + gaussian(rand) * 2, 1),
    speed_mps: round(pos.speedMps, 2),
    sats,
    src: 'gps',
  };
  if (pos.speedMps > 0) body.heading_deg = pos.headingDeg;
  return {
    dev,
    site,
    ts,
    type: 'tag.fix',
    body,
    gnss: { hdop, pdop: round(hdop * 1.6, 1), vdop: round(hdop * 1.3, 1), prns, truth: { lat: pos.lat, lon: pos.lon }, outlier },
  };
}
