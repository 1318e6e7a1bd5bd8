import type { Track } from './tracker.js';
import { footPoint, pointInPolygon, type ImageZone } from './zones.js';

/** The kinds of video detection (cam.detection `detection`). */
export type DetectionKind = 'zone_intrusion' | 'crowd' | 'person_down' | 'loitering';

/** Scene settings of one camera. */
export interface SceneConfig {
  zones: ImageZone[];
  /** A person lying (pose horizontal) this long is down. Default 2000 ms. */
  downMs?: number;
  /** A person lying still (box wider than tall, not moving) this long is down even without a pose. Default 30000 ms. */
  lyingStillMs?: number;
}

/** A condition that started or ended on this frame. */
export interface SceneEvent {
  detection: DetectionKind;
  active: boolean;
  zone?: string;
  /** People in the zone (or the frame) when it changed. */
  people: number;
  durationMs: number;
  /** The tracks that make the condition (boxes for the evidence). */
  tracks: Track[];
}

/** Since when each condition has held; which are announced. */
export interface SceneState {
  /** key -> start ts of the condition (not yet announced while under its minimum). */
  since: Record<string, number>;
  /** Keys announced as active. */
  active: Record<string, true>;
}

export const initialSceneState = (): SceneState => ({ since: {}, active: {} });

interface Condition {
  key: string;
  detection: DetectionKind;
  zone?: string;
  holds: boolean;
  minMs: number;
  /** When it started, if the condition carries its own clock (a track's time in the zone). */
  startTs?: number;
  people: number;
  tracks: Track[];
}

/**
 * One step of the scene rules: (state, tracks seen now, config, frame time) ->
 * (state, events). Pure: the frame time is the only clock. Each condition is
 * edge-triggered: one event when it starts holding past its minimum, one when it ends.
 */
export function stepScene(state: SceneState, tracks: readonly Track[], cfg: SceneConfig, ts: number): { state: SceneState; events: SceneEvent[] } {
  const seen = tracks.filter((t) => t.lastSeenTs === ts);
  const conds: Condition[] = [];
  for (const z of cfg.zones) {
    const inside = seen.filter((t) => pointInPolygon(footPoint(t.box), z.polygon));
    if (z.kind === 'restricted') {
      conds.push({ key: `zone_intrusion:${z.id}`, detection: 'zone_intrusion', zone: z.id, holds: inside.length > 0, minMs: z.minMs ?? 0, people: inside.length, tracks: inside });
    } else if (z.kind === 'crowd') {
      conds.push({ key: `crowd:${z.id}`, detection: 'crowd', zone: z.id, holds: inside.length > (z.maxPeople ?? 0), minMs: z.minMs ?? 0, people: inside.length, tracks: inside });
    } else if (z.kind === 'loiter') {
      // Loitering: someone has been in the zone (on the same track) longer than minMs.
      const longest = inside.reduce<Track | undefined>((a, t) => (!a || t.firstSeenTs < a.firstSeenTs ? t : a), undefined);
      conds.push({ key: `loitering:${z.id}`, detection: 'loitering', zone: z.id, holds: !!longest, minMs: z.minMs ?? 60_000, startTs: longest?.firstSeenTs, people: inside.length, tracks: longest ? [longest] : [] });
    }
  }
  const downMs = cfg.downMs ?? 2000;
  const stillMs = cfg.lyingStillMs ?? 30_000;
  const down = seen.filter(
    (t) =>
      (t.horizontalSinceTs !== undefined && ts - t.horizontalSinceTs >= downMs) ||
      (t.box.w > t.box.h && ts - t.stillSinceTs >= stillMs),
  );
  conds.push({ key: 'person_down', detection: 'person_down', holds: down.length > 0, minMs: 0, people: down.length, tracks: down });

  const since = { ...state.since };
  const active = { ...state.active };
  const events: SceneEvent[] = [];
  for (const c of conds) {
    if (c.holds) {
      const start = c.startTs ?? since[c.key] ?? ts;
      since[c.key] = start;
      const dur = ts - start;
      if (!active[c.key] && dur >= c.minMs) {
        active[c.key] = true;
        events.push({ detection: c.detection, active: true, zone: c.zone, people: c.people, durationMs: dur, tracks: c.tracks });
      }
    } else {
      const start = since[c.key];
      delete since[c.key];
      if (active[c.key]) {
        delete active[c.key];
        events.push({ detection: c.detection, active: false, zone: c.zone, people: c.people, durationMs: start !== undefined ? ts - start : 0, tracks: [] });
      }
    }
  }
  return { state: { since, active }, events };
}
