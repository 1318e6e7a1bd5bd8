/// <reference types="vite/client" />
// The map itself: Leaflet, loaded on demand by MapView (dynamic import) so the main bundle stays small.
// Nothing comes from the internet: the base is a floor plan (SVG), a self-hosted tile server on our own
// origin, or country outlines bundled as GeoJSON (PRODUCT.md: classified networks are offline).
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { feature } from 'topojson-client';
import type { Topology } from 'topojson-specification';
import type { FeatureCollection } from 'geojson';
import countriesUrl from 'world-atlas/countries-50m.json?url';

/** What the map shows underneath the live layers. */
export type Base = { kind: 'plan'; svg: string } | { kind: 'tiles'; url: string } | { kind: 'outlines' };

/** A zone as `GET /api/zones` returns it (the geometry the rules read). */
export interface MapZone {
  id: string;
  kind: string;
  name: string;
  active: boolean;
  geometry: { type: string; coordinates: unknown };
  radius_m?: number;
}
/** A subject's last fix. */
export interface MapPoint {
  id: string;
  label: string;
  lat: number;
  lon: number;
  detail: string;
}
export interface TrackFix {
  ts: number;
  lat: number;
  lon: number;
}

const tipEl = (title: string, detail: string): HTMLElement => {
  // Text nodes only: names come from the database and must never be parsed as HTML.
  const el = document.createElement('div');
  const b = document.createElement('strong');
  b.textContent = title;
  el.append(b);
  if (detail) el.append(document.createElement('br'), document.createTextNode(detail));
  return el;
};

/** Parse the floor plan SVG and its geographic anchor (data-origin-lat/lon; viewBox in metres, x east, y south). */
function planOverlay(svgText: string): { el: SVGSVGElement; bounds: L.LatLngBounds } | undefined {
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = doc.documentElement as unknown as SVGSVGElement;
  const lat0 = Number(svg.getAttribute('data-origin-lat'));
  const lon0 = Number(svg.getAttribute('data-origin-lon'));
  const vb = (svg.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  const [, , w, h] = vb;
  if (!Number.isFinite(lat0) || !Number.isFinite(lon0) || !w || !h) return undefined;
  const mPerDegLat = 111_320;
  const south = lat0 - h / mPerDegLat;
  const east = lon0 + w / (mPerDegLat * Math.cos((lat0 * Math.PI) / 180));
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('class', 'vigil-plan');
  return { el: document.importNode(svg, true), bounds: L.latLngBounds([south, lon0], [lat0, east]) };
}

let countries: Promise<FeatureCollection> | undefined;
function loadCountries(): Promise<FeatureCollection> {
  countries ??= fetch(countriesUrl, { credentials: 'same-origin' })
    .then((r) => r.json() as Promise<Topology>)
    .then((topo) => feature(topo, topo.objects.countries!) as unknown as FeatureCollection);
  return countries;
}

/** A Leaflet map in `el` with the layers the map view drives. */
export function createMap(el: HTMLElement, opts: { onClick: (lat: number, lon: number) => void; zoomIn: string; zoomOut: string }) {
  const map = L.map(el, { zoomControl: false, attributionControl: false, preferCanvas: false, keyboard: true, maxZoom: 22, worldCopyJump: true });
  L.control.zoom({ zoomInTitle: opts.zoomIn, zoomOutTitle: opts.zoomOut }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  map.setView([30.27, 120.15], 4);
  // The base (plan, tiles or outlines) in its own pane under the live layers, whichever is added last.
  map.createPane('vigilBase').style.zIndex = '250';
  let base: L.Layer | undefined;
  let planEl: SVGSVGElement | undefined;
  let planBounds: L.LatLngBounds | undefined;
  const zones = L.layerGroup().addTo(map);
  const points = L.layerGroup().addTo(map);
  const track = L.layerGroup().addTo(map);
  const draft = L.layerGroup().addTo(map);
  map.on('click', (e: L.LeafletMouseEvent) => opts.onClick(e.latlng.lat, e.latlng.lng));

  const known = (): L.LatLngBounds | undefined => {
    const b = L.latLngBounds([]);
    if (planBounds) b.extend(planBounds);
    for (const g of [zones, points, track]) g.eachLayer((l) => {
      const f = l as unknown as { getBounds?: () => L.LatLngBounds; getLatLng?: () => L.LatLng };
      if (f.getBounds) b.extend(f.getBounds());
      else if (f.getLatLng) b.extend(f.getLatLng());
    });
    return b.isValid() ? b : undefined;
  };

  return {
    /** Replace the base layer; resolves once it is drawn. */
    async setBase(next: Base): Promise<void> {
      if (base) map.removeLayer(base);
      base = undefined;
      planEl = undefined;
      planBounds = undefined;
      if (next.kind === 'plan') {
        const p = planOverlay(next.svg);
        if (p) {
          planEl = p.el;
          planBounds = p.bounds;
          base = L.svgOverlay(p.el, p.bounds, { interactive: false, pane: 'vigilBase' }).addTo(map);
          return;
        }
      }
      if (next.kind === 'tiles') {
        base = L.tileLayer(next.url, { maxZoom: 20, pane: 'vigilBase' }).addTo(map);
        return;
      }
      const geo = await loadCountries();
      base = L.geoJSON(geo, { interactive: false, pane: 'vigilBase', style: { color: '#5b6f84', weight: 1, fill: true, fillColor: '#1c2631', fillOpacity: 1 } }).addTo(map);
    },
    /** Mark the floor plan's devices (elements whose id is a device id) online or offline. */
    markDevices(online: Map<string, boolean | null>): void {
      if (!planEl) return;
      for (const [id, on] of online) {
        const node = planEl.querySelector(`[id="${CSS.escape(id)}"]`);
        if (node) node.setAttribute('data-online', on === null ? 'unknown' : String(on));
      }
    },
    setZones(list: MapZone[], selected: string | undefined): void {
      zones.clearLayers();
      for (const z of list) {
        const color = z.kind === 'exclusion' ? '#ef5350' : '#4caf7d';
        const style: L.PathOptions = { color, weight: z.id === selected ? 4 : 2, dashArray: z.active ? undefined : '6 6', fillOpacity: 0.12, className: `zone zone-${z.kind}` };
        let layer: L.Layer | undefined;
        if (z.geometry.type === 'Point' && z.radius_m) {
          const [lon, lat] = z.geometry.coordinates as number[];
          layer = L.circle([lat!, lon!], { ...style, radius: z.radius_m });
        } else if (z.geometry.type === 'Polygon' || z.geometry.type === 'MultiPolygon') {
          layer = L.geoJSON({ type: 'Feature', properties: {}, geometry: z.geometry } as GeoJSON.Feature, { style });
        }
        layer?.bindTooltip(tipEl(z.name, z.kind)).addTo(zones);
      }
    },
    setPoints(list: MapPoint[], selected: string | undefined): void {
      points.clearLayers();
      for (const p of list) {
        L.circleMarker([p.lat, p.lon], { radius: p.id === selected ? 9 : 7, color: '#0f151c', weight: 2, fillColor: '#4fa3d9', fillOpacity: 1, className: `subject-fix subject-${p.id}` })
          .bindTooltip(tipEl(p.label, p.detail))
          .addTo(points);
      }
    },
    /** The track line and the fix the time slider points at. */
    setTrack(fixes: TrackFix[], at: number | undefined): void {
      track.clearLayers();
      if (fixes.length === 0) return;
      L.polyline(fixes.map((f) => [f.lat, f.lon] as L.LatLngTuple), { color: '#e6c14a', weight: 3, opacity: 0.8, className: 'track-line' }).addTo(track);
      const f = at !== undefined ? fixes[at] : undefined;
      if (f) L.circleMarker([f.lat, f.lon], { radius: 8, color: '#e6c14a', weight: 3, fillColor: '#0f151c', fillOpacity: 1, className: 'track-cursor' }).addTo(track);
    },
    /** The polygon being drawn, vertex by vertex. */
    setDraft(vertices: [number, number][]): void {
      draft.clearLayers();
      if (vertices.length === 0) return;
      const ll = vertices.map(([lat, lon]) => [lat, lon] as L.LatLngTuple);
      (vertices.length >= 3 ? L.polygon(ll, { color: '#4fa3d9', dashArray: '4 4', className: 'draft' }) : L.polyline(ll, { color: '#4fa3d9', dashArray: '4 4' })).addTo(draft);
      for (const v of ll) L.circleMarker(v, { radius: 4, color: '#4fa3d9', fillOpacity: 1, className: 'draft-vertex' }).addTo(draft);
    },
    /** Fit everything shown (or `to`) in the view. */
    fit(to?: [number, number]): void {
      if (to) {
        map.setView(to, Math.max(map.getZoom(), 16));
        return;
      }
      const b = known();
      if (b) map.fitBounds(b.pad(0.15), { maxZoom: 18 });
    },
    /** The centre of the view (for adding a corner from the keyboard: arrows pan, +/- zoom). */
    center(): [number, number] {
      const c = map.getCenter();
      return [c.lat, c.lng];
    },
    resize(): void {
      map.invalidateSize();
    },
    destroy(): void {
      map.remove();
    },
  };
}

/** The map returned by createMap. */
export type VigilMap = ReturnType<typeof createMap>;
