/** One device's connection state, as `GET /api/devices/presence` returns it. */
export interface DevicePresence {
  id: string;
  site: string;
  online: boolean;
  /** ISO 8601: when it came online or went offline. */
  since: string;
}

/** How often the panel refreshes; presence changes are minutes apart, not milliseconds. */
export const PRESENCE_REFRESH_MS = 10_000;

/** Fetch who is connected and since when, offline devices first (they need attention). */
export async function fetchPresence(signal?: AbortSignal): Promise<DevicePresence[]> {
  const res = await fetch('/api/devices/presence', { headers: { accept: 'application/json' }, signal });
  if (!res.ok) throw new Error(`GET /api/devices/presence: HTTP ${res.status}`);
  const { devices } = (await res.json()) as { devices: DevicePresence[] };
  return [...devices].sort((a, b) => Number(a.online) - Number(b.online) || a.site.localeCompare(b.site) || a.id.localeCompare(b.id));
}
