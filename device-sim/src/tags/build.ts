import type { DemoZone } from '../demo.js';
import { nearAny } from './community.js';
import type { SimDevice } from './device.js';
import { PhoneSim } from './phone-sim.js';
import { DEFAULT_TAG_OPTIONS, TagSim, type TagSimOptions } from './tag-sim.js';
import type { Place, Subject } from './world.js';

/** What a fleet of subjects' tags and victims' phones is built from. */
export interface TagFleetSpec {
  subjects: readonly Subject[];
  /** Zones by id, for `enter-zone`; exclusion zones are also kept clear of by the routines. */
  zones: readonly DemoZone[];
  seed: number;
  startMs: number;
  tag?: Partial<TagSimOptions>;
  phoneIntervalMs?: number;
}

/** The devices of a fleet, and lookups the injector needs. */
export interface TagFleetDevices {
  devices: SimDevice[];
  tags: Map<string, TagSim>;
  phones: Map<string, PhoneSim>;
  /** The subject wearing each tag. */
  subjectOfTag: Map<string, Subject>;
}

/** Centre of a zone's ring, as a place to send a subject for `enter-zone`. */
export function zoneCentre(zone: DemoZone): Place {
  const pts = zone.ring.slice(0, -1);
  const lon = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const lat = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  return { id: zone.id, lon, lat, indoor: false };
}

/** One TagSim per subject (tag id order) and one PhoneSim per victim, from one seed. */
export function buildTagFleet(spec: TagFleetSpec): TagFleetDevices {
  const opts: TagSimOptions = { ...DEFAULT_TAG_OPTIONS, ...spec.tag };
  const zoneById = new Map(spec.zones.map((z) => [z.id, z]));
  const lookup = (id: string) => {
    const z = zoneById.get(id);
    return z ? zoneCentre(z) : undefined;
  };
  const avoid = nearAny(
    spec.zones.filter((z) => z.kind === 'exclusion').map((z) => z.ring),
    0.0003,
  );
  const tags = new Map<string, TagSim>();
  const phones = new Map<string, PhoneSim>();
  const subjectOfTag = new Map<string, Subject>();
  const devices: SimDevice[] = [];
  for (const s of spec.subjects) {
    const tag = new TagSim(s, spec.seed, spec.startMs, lookup, opts, avoid);
    tags.set(tag.id, tag);
    subjectOfTag.set(tag.id, s);
    devices.push(tag);
  }
  for (const s of spec.subjects) {
    if (!s.victim) continue;
    const phone = new PhoneSim(s.victim.phoneId, s.siteId, s.victim.home, spec.seed, spec.startMs, spec.phoneIntervalMs ?? 60_000);
    phones.set(phone.id, phone);
    devices.push(phone);
  }
  return { devices, tags, phones, subjectOfTag };
}
