/** A place a subject spends time at ([lon, lat], WGS 84). */
export interface Place {
  id: string;
  lon: number;
  lat: number;
  /** Indoors GPS loses accuracy (fewer satellites, higher HDOP). */
  indoor: boolean;
}

/** How a subject travels between places. */
export type TravelMode = 'walk' | 'vehicle';

/** Walking and vehicle speeds, m/s. */
export const SPEED_MPS: Record<TravelMode, number> = { walk: 1.4, vehicle: 8.5 };

/**
 * A supervised person's day, in minutes after local midnight at the site:
 * leave home, leave work, an errand on the way back, home before curfew.
 */
export interface Routine {
  leaveHomeMin: number;
  leaveWorkMin: number;
  errandStayMin: number;
  /** Must be home by then (minutes after midnight; may pass 24 h, e.g. 22 * 60). */
  curfewMin: number;
  /** How much each day's times vary, ± minutes. */
  jitterMin: number;
}

/** A supervised person wearing a tag. */
export interface Subject {
  id: string;
  tagId: string;
  siteId: string;
  home: Place;
  /** Null: no job; the day is spent at home and on errands. */
  work: Place | null;
  errand: Place;
  /** Where the subject goes when injected "out after curfew". */
  leisure: Place;
  mode: TravelMode;
  routine: Routine;
  /** The victim's phone, when a protection order is in place. */
  victim?: { phoneId: string; home: Place };
}

/** Local time offset of the site from UTC (Asia/Shanghai: +8 h, no daylight saving). */
export const SITE_UTC_OFFSET_MS = 8 * 3_600_000;

/** Local midnight (as epoch ms) of the local day holding `t`. */
export function localMidnight(t: number, offsetMs = SITE_UTC_OFFSET_MS): number {
  const day = 86_400_000;
  return Math.floor((t + offsetMs) / day) * day - offsetMs;
}
