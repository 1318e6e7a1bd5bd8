import { offset } from '../route.js';
import { between, streamFor } from './rng.js';
import type { Place, Subject, TravelMode } from './world.js';

/** A GeoJSON ring ([lon, lat] points, closed). */
export type Ring = Array<[number, number]>;

/** A box ring of ± dLat/dLon degrees around a point. */
export function box(lat: number, lon: number, dLat: number, dLon: number): Ring {
  return [
    [lon - dLon, lat - dLat],
    [lon + dLon, lat - dLat],
    [lon + dLon, lat + dLat],
    [lon - dLon, lat + dLat],
    [lon - dLon, lat - dLat],
  ];
}

/** A test: is the point inside any of these rings' bounding boxes widened by `marginDeg`? */
export function nearAny(rings: readonly Ring[], marginDeg: number): (p: [number, number]) => boolean {
  const boxes = rings.map((r) => {
    const lons = r.map((q) => q[0]);
    const lats = r.map((q) => q[1]);
    return [Math.min(...lons) - marginDeg, Math.min(...lats) - marginDeg, Math.max(...lons) + marginDeg, Math.max(...lats) + marginDeg] as const;
  });
  return ([lon, lat]) => boxes.some(([x0, y0, x1, y1]) => lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1);
}

/** Options of a generated community-correction caseload. */
export interface CaseloadOptions {
  siteId: string;
  /** The office; subjects live within `radiusM` of it. */
  centre: { lat: number; lon: number };
  radiusM: number;
  count: number;
  /** First subject number (ids are subj-NNNN / tag-NNNN). */
  firstNumber: number;
  /** Every how many subjects one has a victim with a phone (protection order); 0 = none. */
  victimEvery: number;
  /** Places and routes keep clear of these (exclusion zones). */
  keepClearOf: readonly Ring[];
  seed: number;
  /** Id prefixes; default subj / tag / phone / home. */
  prefix?: { subject: string; tag: string; phone: string; place: string };
}



/**
 * A deterministic caseload: subjects with a home, most with work, an errand
 * and a leisure place, a daily routine (leave home 6:30–9:00, curfew 21:00–23:00),
 * walking or by vehicle depending on how far work is; every `victimEvery`-th
 * has a victim whose phone reports its position. Nothing is placed within
 * 100 m of an exclusion zone, so the routine alone never breaches one.
 */
export function generateCaseload(o: CaseloadOptions): Subject[] {
  const rand = streamFor(o.seed, `caseload/${o.siteId}`);
  const prefix = o.prefix ?? { subject: 'subj', tag: 'tag', phone: 'phone', place: 'place' };
  const clear = nearAny(o.keepClearOf, 0.001);
  const placeNear = (id: string, from: { lat: number; lon: number }, minM: number, maxM: number, indoor: boolean): Place => {
    for (let i = 0; i < 200; i++) {
      const p = offset(from, between(rand, minM, maxM), rand() * 360);
      if (!clear([p.lon, p.lat])) return { id, lon: round6(p.lon), lat: round6(p.lat), indoor };
    }
    throw new Error(`no clear place for ${id}`);
  };
  const subjects: Subject[] = [];
  const width = Math.max(4, String(o.firstNumber + o.count - 1).length);
  for (let k = 0; k < o.count; k++) {
    const n = String(o.firstNumber + k).padStart(width, '0');
    const home = placeNear(`${prefix.place}-${n}-home`, o.centre, 200, o.radiusM, true);
    const hasWork = rand() < 0.8;
    const work = hasWork ? placeNear(`${prefix.place}-${n}-work`, home, 600, 4000, true) : null;
    const errand = placeNear(`${prefix.place}-${n}-errand`, home, 300, 1200, true);
    const leisure = placeNear(`${prefix.place}-${n}-leisure`, home, 1500, 2500, true);
    const workM = work ? Math.hypot((work.lat - home.lat) * 111_000, (work.lon - home.lon) * 96_000) : 0;
    const mode: TravelMode = workM > 1500 ? 'vehicle' : 'walk';
    const s: Subject = {
      id: `${prefix.subject}-${n}`,
      tagId: `${prefix.tag}-${n}`,
      siteId: o.siteId,
      home,
      work,
      errand,
      leisure,
      mode,
      routine: {
        leaveHomeMin: Math.round(between(rand, 6.5 * 60, 9 * 60)),
        leaveWorkMin: Math.round(between(rand, 16.5 * 60, 18.5 * 60)),
        errandStayMin: Math.round(between(rand, 15, 45)),
        curfewMin: 21 * 60 + 30 * Math.floor(rand() * 5),
        jitterMin: 15,
      },
    };
    if (o.victimEvery > 0 && (k + 1) % o.victimEvery === 0) {
      s.victim = { phoneId: `${prefix.phone}-${n}`, home: placeNear(`${prefix.place}-${n}-victim`, home, 2000, 3500, true) };
    }
    subjects.push(s);
  }
  return subjects;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
