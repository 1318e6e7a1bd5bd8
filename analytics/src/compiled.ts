import Flatbush from 'flatbush';
import { metresPerDegree, prepareCircle, preparePolygon, type PreparedShape } from './geo/placement.js';
import type { AreaConfig, DoorConfig, RuleSet, VictimConfig, ZoneConfig } from './ruleset.js';

/** A zone ready for the hot path: its prepared shape and a cache id for its schedule. */
export interface PreparedZone {
  cfg: ZoneConfig;
  shape: PreparedShape;
  scheduleId: string;
}

/**
 * A rule set compiled for the rules: zones in a Flatbush spatial index
 * (static, packed Hilbert R-tree: zones change rarely and are reloaded as a
 * whole, so a static index that queries fastest and builds in one pass
 * suits better than a dynamic R-tree like rbush), lookups by device, door
 * and area, and the routing of devices to partitions.
 */
export interface Compiled {
  ruleSet: RuleSet;
  zones: PreparedZone[];
  index: Flatbush | undefined;
  /** Curfew zones of a device: its own and its site's. */
  curfewsByDevice: Map<string, PreparedZone[]>;
  curfewsBySite: Map<string, PreparedZone[]>;
  /** Zones listing a device explicitly (its home, its curfew). */
  zonesByDevice: Map<string, PreparedZone[]>;
  /** Inclusion zones for every device of a site (no device list): checked on every fix of the site. */
  siteInclusion: Map<string, PreparedZone[]>;
  zoneById: Map<string, PreparedZone>;
  doors: Map<string, DoorConfig>;
  areas: Map<string, AreaConfig>;
  victimsByDev: Map<string, VictimConfig[]>;
  victims: Map<string, VictimConfig>;
  /** Device id -> the key that decides its partition (a victim's device goes with the offender). */
  routing: Map<string, string>;
}

export function zoneShape(z: ZoneConfig): PreparedShape {
  const g = z.geometry;
  if (g.type === 'Point') return prepareCircle(g.coordinates[1]!, g.coordinates[0]!, z.radius_m!);
  return preparePolygon(g.coordinates as number[][][] | number[][][][], g.type === 'MultiPolygon');
}

export function compile(ruleSet: RuleSet): Compiled {
  const zones = ruleSet.zones.map((cfg, i) => ({ cfg, shape: zoneShape(cfg), scheduleId: `${cfg.id}#${i}` }));
  const index = zones.length ? new Flatbush(zones.length) : undefined;
  if (index) {
    for (const z of zones) index.add(...z.shape.bbox);
    index.finish();
  }
  const zonesByDevice = new Map<string, PreparedZone[]>();
  const siteInclusion = new Map<string, PreparedZone[]>();
  for (const z of zones) {
    if (z.cfg.devices) for (const d of z.cfg.devices) push(zonesByDevice, d, z);
    else if (z.cfg.kind === 'inclusion') push(siteInclusion, z.cfg.site, z);
  }
  const curfewsByDevice = new Map<string, PreparedZone[]>();
  const curfewsBySite = new Map<string, PreparedZone[]>();
  for (const z of zones) {
    if (!z.cfg.curfew) continue;
    if (z.cfg.devices) for (const d of z.cfg.devices) push(curfewsByDevice, d, z);
    else push(curfewsBySite, z.cfg.site, z);
  }
  const victimsByDev = new Map<string, VictimConfig[]>();
  const routing = new Map<string, string>();
  for (const v of ruleSet.victims) {
    push(victimsByDev, v.offender_dev, v);
    push(victimsByDev, v.victim_dev, v);
    routing.set(v.victim_dev, v.offender_dev);
  }
  for (const d of ruleSet.doors) if (d.dev && d.area) routing.set(d.dev, `area:${d.area}`);
  return {
    ruleSet,
    zones,
    index,
    zonesByDevice,
    curfewsByDevice,
    curfewsBySite,
    siteInclusion,
    zoneById: new Map(zones.map((z) => [z.cfg.id, z])),
    doors: new Map(ruleSet.doors.map((d) => [`${d.site}/${d.id}`, d])),
    areas: new Map(ruleSet.areas.map((a) => [a.id, a])),
    victimsByDev,
    victims: new Map(ruleSet.victims.map((v) => [v.id, v])),
    routing,
  };
}

/** Zones whose box comes within `accM` of the fix. */
export function zonesNear(c: Compiled, lat: number, lon: number, accM: number): PreparedZone[] {
  if (!c.index) return [];
  const { mLat, mLon } = metresPerDegree(lat);
  const dLat = accM / mLat;
  const dLon = accM / Math.max(mLon, 1e-9);
  return c.index.search(lon - dLon, lat - dLat, lon + dLon, lat + dLat).map((i) => c.zones[i]!);
}

/** The key whose hash picks the process for a device's messages. */
export function routingKey(c: Compiled, dev: string): string {
  return c.routing.get(dev) ?? dev;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

export type { AreaConfig, DoorConfig, VictimConfig, ZoneConfig };
