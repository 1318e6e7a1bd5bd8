import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { PRISON } from '@vigil/device-sim';

/** Frame size and rate of the demo streams: small, so two cameras and their analysis fit beside the rest on a laptop. */
const FORMAT = { width: 320, height: 240, fps: 2 } as const;
const WHOLE_FRAME: [number, number][] = [[0, 0], [FORMAT.width, 0], [FORMAT.width, FORMAT.height], [0, FORMAT.height]];

/** Two of the demo prison's cameras, each showing a scene of the fixture photos, with what vision looks for there. */
export const DEMO_CAMERAS = [
  // Someone walks into the perimeter strip, where nobody may be: "Person in a restricted zone".
  { id: 'pn-cam-perim-ne', scene: 'walk-in', zones: [{ id: 'perimeter-strip', kind: 'restricted' as const, polygon: WHOLE_FRAME }] },
  // A group in the yard, more than three for five seconds: "People gathering".
  { id: 'pn-cam-yard', scene: 'group', zones: [{ id: 'yard', kind: 'crowd' as const, polygon: WHOLE_FRAME, maxPeople: 3, minMs: 5_000 }] },
] as const;

/** `vigil-sim cameras` arguments for the demo cameras on any free port. */
export function cameraSimArgs(): string[] {
  return ['cameras', '--port', '0', '--width', String(FORMAT.width), '--height', String(FORMAT.height), '--fps', '10', ...DEMO_CAMERAS.flatMap((c) => ['--camera', `${c.id}=${c.scene}`])];
}

/**
 * Point the registry's camera devices at the simulated streams (for the camera wall)
 * and write the cameras file vigil-vision reads; returns its path.
 */
export async function prepareDemoCameras(pool: Pool, rtspPort: number, dir: string): Promise<string> {
  const url = (id: string) => `rtsp://127.0.0.1:${rtspPort}/${id}`;
  for (const c of DEMO_CAMERAS) await pool.query('UPDATE devices SET stream_url = $2 WHERE id = $1', [c.id, url(c.id)]);
  const cameras = DEMO_CAMERAS.map((c) => ({
    id: c.id,
    site: PRISON.siteId,
    url: url(c.id),
    // the simulator's RTSP server refuses interleaved TCP
    transport: 'udp',
    ...FORMAT,
    zones: c.zones,
  }));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'demo-cameras.json');
  writeFileSync(file, `${JSON.stringify({ cameras }, null, 2)}\n`);
  return file;
}
