import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { GateLayout, I18nName } from '../gates/layout.js';

/**
 * The demo prison, "North Demo Prison" (site `prison-north`).
 *
 * Coordinates: plan units are metres. The origin (0, 0) is the north-west
 * corner of the plan at `origin` (WGS 84); x grows east, y grows south, as in
 * SVG, so `device-sim/assets/prison-north.svg` draws the plan with
 * `viewBox="0 0 widthM heightM"` and every element's id is the entity's id.
 * `planToLonLat` turns a plan point into [lon, lat] (equirectangular, good to
 * centimetres over a few hundred metres). Headings are degrees clockwise from
 * north (up on the plan).
 */
export interface PlanPoint {
  x: number;
  y: number;
}
export interface PlanRect {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface PrisonCell {
  id: string;
  rect: PlanRect;
}
export interface PrisonBuilding {
  id: string;
  kind: 'block' | 'admin' | 'yard';
  name: I18nName;
  rect: PlanRect;
  cells: PrisonCell[];
}
export interface PrisonDoor {
  /** Device id of the door (one device per door on the broker). */
  id: string;
  /** The lockdown area (an area of the gate controller). */
  area: string;
  kind: 'door' | 'gate';
  name: I18nName;
  at: PlanPoint;
}
export interface PrisonArea {
  id: string;
  name: I18nName;
}
export interface PrisonCamera {
  id: string;
  name: I18nName;
  at: PlanPoint;
  headingDeg: number;
  fovDeg: number;
}
export interface PrisonCard {
  card: string;
  person: string;
  role: 'officer' | 'prisoner' | 'visitor';
  areas: string[];
}
export interface PrisonPlan {
  siteId: string;
  orgUnitId: string;
  name: I18nName;
  origin: { lat: number; lon: number };
  widthM: number;
  heightM: number;
  /** The perimeter wall, a closed ring of plan points. */
  perimeter: PlanPoint[];
  buildings: PrisonBuilding[];
  areas: PrisonArea[];
  doors: PrisonDoor[];
  cameras: PrisonCamera[];
  cards: PrisonCard[];
}

const cellRow = (prefix: string, x0: number, y: number, count: number, w: number, h: number): PrisonCell[] =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}${String(i + 1).padStart(2, '0')}`, rect: { x: x0 + i * w, y, w, h } }));

const block = (id: string, letter: string, x: number, en: string, zh: string): PrisonBuilding => ({
  id,
  kind: 'block',
  name: { en, 'zh-CN': zh },
  rect: { x, y: 20, w: 80, h: 50 },
  cells: [...cellRow(`${letter}-1`, x, 20, 8, 10, 15), ...cellRow(`${letter}-2`, x, 55, 8, 10, 15)],
});

const name = (en: string, zh: string): I18nName => ({ en, 'zh-CN': zh });

export const PRISON: PrisonPlan = {
  siteId: 'prison-north',
  orgUnitId: 'zj',
  name: name('North Demo Prison', '北郊示范监狱'),
  origin: { lat: 30.352, lon: 120.095 },
  widthM: 240,
  heightM: 160,
  perimeter: [
    { x: 10, y: 10 },
    { x: 230, y: 10 },
    { x: 230, y: 150 },
    { x: 10, y: 150 },
    { x: 10, y: 10 },
  ],
  buildings: [
    block('pn-bldg-a', 'A', 20, 'Block A', 'A 监区'),
    { id: 'pn-bldg-yard', kind: 'yard', name: name('Exercise yard', '放风场'), rect: { x: 100, y: 20, w: 40, h: 50 }, cells: [] },
    block('pn-bldg-b', 'B', 140, 'Block B', 'B 监区'),
    { id: 'pn-bldg-admin', kind: 'admin', name: name('Administration and visits', '行政楼与会见室'), rect: { x: 90, y: 118, w: 60, h: 32 }, cells: [] },
  ],
  areas: [
    { id: 'pn-perimeter', name: name('Perimeter', '围墙') },
    { id: 'pn-admin', name: name('Administration', '行政区') },
    { id: 'pn-block-a', name: name('Block A', 'A 监区') },
    { id: 'pn-block-b', name: name('Block B', 'B 监区') },
    { id: 'pn-yard', name: name('Exercise yard', '放风场') },
  ],
  doors: [
    { id: 'pn-gate-vehicle', area: 'pn-perimeter', kind: 'gate', name: name('Vehicle gate', '车辆通道门'), at: { x: 50, y: 150 } },
    { id: 'pn-gate-staff', area: 'pn-perimeter', kind: 'gate', name: name('Staff and visitor gate', '人员通道门'), at: { x: 120, y: 150 } },
    { id: 'pn-admin-inner', area: 'pn-admin', kind: 'door', name: name('Administration inner door', '行政楼内门'), at: { x: 120, y: 118 } },
    { id: 'pn-admin-visit', area: 'pn-admin', kind: 'door', name: name('Visiting room door', '会见室门'), at: { x: 150, y: 134 } },
    { id: 'pn-a-main', area: 'pn-block-a', kind: 'door', name: name('Block A main door', 'A 监区大门'), at: { x: 60, y: 70 } },
    { id: 'pn-a-yard', area: 'pn-block-a', kind: 'door', name: name('Block A yard door', 'A 监区放风门'), at: { x: 100, y: 45 } },
    { id: 'pn-b-main', area: 'pn-block-b', kind: 'door', name: name('Block B main door', 'B 监区大门'), at: { x: 180, y: 70 } },
    { id: 'pn-b-yard', area: 'pn-block-b', kind: 'door', name: name('Block B yard door', 'B 监区放风门'), at: { x: 140, y: 45 } },
    { id: 'pn-yard-gate', area: 'pn-yard', kind: 'gate', name: name('Yard gate', '放风场大门'), at: { x: 120, y: 70 } },
  ],
  cameras: [
    { id: 'pn-cam-entrance', name: name('Entrance', '入口'), at: { x: 120, y: 146 }, headingDeg: 0, fovDeg: 90 },
    { id: 'pn-cam-a', name: name('Block A door', 'A 监区门口'), at: { x: 60, y: 78 }, headingDeg: 0, fovDeg: 80 },
    { id: 'pn-cam-b', name: name('Block B door', 'B 监区门口'), at: { x: 180, y: 78 }, headingDeg: 0, fovDeg: 80 },
    { id: 'pn-cam-yard', name: name('Yard', '放风场'), at: { x: 120, y: 22 }, headingDeg: 180, fovDeg: 100 },
    { id: 'pn-cam-perim-ne', name: name('Perimeter north-east', '围墙东北角'), at: { x: 228, y: 12 }, headingDeg: 225, fovDeg: 70 },
    { id: 'pn-cam-perim-sw', name: name('Perimeter south-west', '围墙西南角'), at: { x: 12, y: 148 }, headingDeg: 45, fovDeg: 70 },
  ],
  cards: [
    ...[1, 2, 3, 4].map((i) => ({
      card: `O-100${i}`,
      person: `officer-${i}`,
      role: 'officer' as const,
      areas: ['pn-perimeter', 'pn-admin', 'pn-block-a', 'pn-block-b', 'pn-yard'],
    })),
    ...[1, 2, 3, 4].map((i) => ({ card: `P-200${i}`, person: `prisoner-a${i}`, role: 'prisoner' as const, areas: ['pn-block-a', 'pn-yard'] })),
    ...[5, 6, 7, 8].map((i) => ({ card: `P-200${i}`, person: `prisoner-b${i - 4}`, role: 'prisoner' as const, areas: ['pn-block-b', 'pn-yard'] })),
    { card: 'V-3001', person: 'visitor-1', role: 'visitor', areas: ['pn-perimeter', 'pn-admin'] },
  ],
};

/** A plan point as WGS 84 [lon, lat]. */
export function planToLonLat(plan: PrisonPlan, p: PlanPoint): [number, number] {
  const mPerDegLat = 111_320;
  const lat = plan.origin.lat - p.y / mPerDegLat;
  const lon = plan.origin.lon + p.x / (mPerDegLat * Math.cos((plan.origin.lat * Math.PI) / 180));
  return [Math.round(lon * 1e7) / 1e7, Math.round(lat * 1e7) / 1e7];
}

/** What the gate simulator (the door controller) models for this prison. */
export function prisonGateLayout(plan: PrisonPlan = PRISON): GateLayout {
  return {
    site: plan.siteId,
    name: plan.name,
    areas: plan.areas.map((a) => ({ id: a.id, name: a.name, doors: plan.doors.filter((d) => d.area === a.id).map((d) => ({ id: d.id, name: d.name })) })),
    cards: plan.cards.map((c) => ({ card: c.card, person: c.person, areas: c.areas })),
  };
}

/** How a device is registered (the broker's `registerDevice`, handed in). */
export type RegisterPrisonDevice = (
  pool: pg.Pool,
  device: { id: string; siteId: string; kind: 'gate' | 'camera'; secret: string; gatewayId?: string | null },
) => Promise<void>;

export interface SeedPrisonOptions {
  plan?: PrisonPlan;
  /** The edge agent that publishes for the doors and cameras (registered separately); without it, none may yet. */
  gatewayId?: string;
}

/**
 * Put the demo prison into the registry: the site (if the demo world has not
 * already), its perimeter as an inclusion zone, each door as a `gate` device
 * and each camera as a `camera` device. Doors and cameras get a random secret
 * nobody knows: they do not log in themselves, the site's edge agent publishes
 * for them (`gatewayId`). Safe to run again.
 */
export async function seedPrison(pool: pg.Pool, registerDevice: RegisterPrisonDevice, opts: SeedPrisonOptions = {}): Promise<void> {
  const plan = opts.plan ?? PRISON;
  const gatewayId = opts.gatewayId ?? null;
  await pool.query(
    `INSERT INTO sites (id, org_unit_id, kind, name_en, name_zh) VALUES ($1, $2, 'prison', $3, $4) ON CONFLICT (id) DO NOTHING`,
    [plan.siteId, plan.orgUnitId, plan.name.en, plan.name['zh-CN']],
  );
  const geometry = { type: 'Polygon', coordinates: [plan.perimeter.map((p) => planToLonLat(plan, p))] };
  await pool.query(
    `INSERT INTO zones (id, site_id, kind, name_en, name_zh, geometry) VALUES ($1, $2, 'inclusion', $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET geometry = EXCLUDED.geometry, name_en = EXCLUDED.name_en, name_zh = EXCLUDED.name_zh`,
    [`${plan.siteId}-perimeter`, plan.siteId, `${plan.name.en} perimeter`, `${plan.name['zh-CN']}围墙`, JSON.stringify(geometry)],
  );
  const secret = randomBytes(24).toString('base64url');
  for (const d of plan.doors) await registerDevice(pool, { id: d.id, siteId: plan.siteId, kind: 'gate', secret, gatewayId });
  for (const c of plan.cameras) await registerDevice(pool, { id: c.id, siteId: plan.siteId, kind: 'camera', secret, gatewayId });
}
