import type { GGAPacket, GSAPacket, RMCPacket } from 'nmea-simple';
import type { BodyOf } from '@vigil/schemas';

/** One epoch's sentences (same UTC time), as a receiver sends them. */
export interface Epoch {
  time: string;
  gga?: GGAPacket;
  gsa?: GSAPacket;
  rmc?: RMCPacket;
}

const KNOT_MPS = 1852 / 3600;
const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

/**
 * The accuracy of a fix: acc_m = HDOP × UERE. HDOP is the epoch's GSA HDOP
 * when there is one (it is the DOP of the satellites actually used), else
 * GGA's; UERE (user equivalent range error) defaults to 5 m, a typical
 * single-frequency consumer receiver figure. Null when no HDOP is known.
 */
export function accuracyM(epoch: Epoch, uereM: number): number | null {
  const hdop = epoch.gsa && epoch.gsa.HDOP > 0 ? epoch.gsa.HDOP : epoch.gga?.horizontalDilution;
  if (hdop === undefined || !Number.isFinite(hdop) || hdop <= 0) return null;
  return round(hdop * uereM, 1);
}

/**
 * The fix time: RMC's date and time; without RMC, GGA's time on the date last
 * seen in an RMC on this stream, else on today's UTC date (a day back if that
 * puts it more than 12 h in the future, i.e. just before midnight).
 */
export function fixTime(epoch: Epoch, lastDate: number | null, now: number): number | null {
  if (epoch.rmc) return epoch.rmc.datetime.getTime();
  const m = /^(\d{2})(\d{2})(\d{2})(\.\d+)?$/.exec(epoch.time);
  if (!m) return null;
  const tod = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3]) + Number(m[4] ?? 0)) * 1000;
  const day = 86_400_000;
  let ts = (lastDate ?? Math.floor(now / day) * day) + Math.round(tod);
  if (lastDate === null && ts > now + day / 2) ts -= day;
  return ts;
}

/** Why an epoch gave no fix. */
export type NoFix = 'no-fix' | 'no-accuracy' | 'malformed';

/** Turn an epoch into a `tag.fix` body, or the reason it is not one. */
export function epochToFix(epoch: Epoch, uereM: number): BodyOf<'tag.fix'> | NoFix {
  const { gga, rmc } = epoch;
  if (gga && gga.fixType === 'none') return 'no-fix';
  if (!gga && rmc && rmc.status !== 'valid') return 'no-fix';
  const lat = gga?.latitude ?? rmc?.latitude;
  const lon = gga?.longitude ?? rmc?.longitude;
  if (lat === undefined || lon === undefined || !Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return 'malformed';
  const acc = accuracyM(epoch, uereM);
  if (acc === null) return 'no-accuracy';
  const body: BodyOf<'tag.fix'> = { lat: round(lat, 7), lon: round(lon, 7), acc_m: Math.min(acc, 100_000), src: 'gps' };
  if (gga) {
    if (Number.isFinite(gga.altitudeMeters) && gga.altitudeMeters >= -1000 && gga.altitudeMeters <= 20_000) body.alt_m = gga.altitudeMeters;
    if (Number.isInteger(gga.satellitesInView) && gga.satellitesInView >= 0 && gga.satellitesInView <= 64) body.sats = gga.satellitesInView;
  }
  if (rmc) {
    const speed = rmc.speedKnots * KNOT_MPS;
    if (Number.isFinite(speed) && speed >= 0 && speed <= 200) body.speed_mps = round(speed, 2);
    if (speed > 0 && Number.isFinite(rmc.trackTrue) && rmc.trackTrue >= 0 && rmc.trackTrue <= 360) body.heading_deg = rmc.trackTrue;
  }
  return body;
}
