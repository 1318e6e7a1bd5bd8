import type { Alert } from '@vigil/schemas';
import { request } from './http';

/** One transition of the alert's lifecycle (routes/alerts.ts `Transition`). */
export interface Transition {
  at: number;
  from: string | null;
  to: string;
  action: string | null;
  actor: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

/** `GET /api/alerts/:id`: the alert, its timeline and evidence. */
export interface AlertDetail {
  alert: Alert;
  transitions: Transition[];
  fixes: { ts: number; lat: number; lon: number; acc_m: number }[];
  events: { ts: number; type: string; body: unknown }[];
  snapshots: { ts: number; device: string; label: string; score: number; ref: string }[];
}

/** An officer who could be sent, nearest available first (`GET /api/alerts/:id/officers`). */
export interface OfficerOption {
  id: string;
  display_name: string;
  available: boolean;
  distance_m: number | null;
  position_ts: number | null;
}

export function fetchDetail(id: string, signal?: AbortSignal): Promise<AlertDetail> {
  return request<AlertDetail>(`/api/alerts/${encodeURIComponent(id)}`, signal ? { signal } : {});
}

export function fetchOfficers(id: string, signal?: AbortSignal): Promise<{ suggested: string | null; officers: OfficerOption[] }> {
  return request(`/api/alerts/${encodeURIComponent(id)}/officers`, signal ? { signal } : {});
}

/** The position to navigate to: the last evidence fix, else the last fix of the track around the alert. */
export function lastPosition(alert: Alert, fixes: readonly { lat: number; lon: number }[] = []): { lat: number; lon: number } | null {
  const f = alert.evidence.fixes?.at(-1) ?? fixes.at(-1);
  return f ? { lat: f.lat, lon: f.lon } : null;
}

/** RFC 5870 `geo:` URI: phones open it in their map or navigation app. */
export const geoUri = (p: { lat: number; lon: number }): string => `geo:${p.lat.toFixed(6)},${p.lon.toFixed(6)}`;

/** Points of a fixes sketch in a `size`-square SVG box, north up, with a margin. */
export function sketchPoints(fixes: readonly { lat: number; lon: number }[], size: number): { x: number; y: number }[] {
  if (fixes.length === 0) return [];
  const lats = fixes.map((f) => f.lat);
  const lons = fixes.map((f) => f.lon);
  const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
  const span = Math.max(maxLat - minLat, (maxLon - minLon) * Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180), 1e-5);
  const cos = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const k = (size * 0.8) / span;
  // Centred: the track's middle at the middle of the box (a single fix sits in the centre).
  const [midX, midY] = [((maxLon - minLon) * cos * k) / 2, ((maxLat - minLat) * k) / 2];
  return fixes.map((f) => ({ x: size / 2 - midX + (f.lon - minLon) * cos * k, y: size / 2 + midY - (f.lat - minLat) * k }));
}

/** The evidence frame of a detection (`GET /api/snapshots/:camera/:file`, routes/snapshots.ts). */
export const snapshotUrl = (ref: string): string => `/api/snapshots/${ref.split('/').map(encodeURIComponent).join('/')}`;
