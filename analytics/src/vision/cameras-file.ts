import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { check } from '@vigil/schemas';
import { VisionError } from './errors.js';
import { checkCameraConfig, type CameraConfig } from './camera.js';

const Pt = Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })]);
const Zone = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    kind: Type.Union([Type.Literal('restricted'), Type.Literal('crowd'), Type.Literal('loiter')]),
    polygon: Type.Array(Pt, { minItems: 3, maxItems: 64 }),
    maxPeople: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    minMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
  },
  { additionalProperties: false },
);
const Camera = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    site: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
    url: Type.String({ pattern: '^rtsps?://' }),
    transport: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
    width: Type.Integer({ minimum: 32, maximum: 4096 }),
    height: Type.Integer({ minimum: 32, maximum: 4096 }),
    fps: Type.Number({ exclusiveMinimum: 0, maximum: 30 }),
    zones: Type.Array(Zone, { maxItems: 64 }),
    masks: Type.Optional(Type.Array(Type.Array(Pt, { minItems: 3, maxItems: 64 }), { maxItems: 32 })),
    motion: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          pixelThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 255 })),
          minChangedFraction: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    downMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    lyingStillMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
);
/** The cameras file: the cameras this process analyses, their zones and masks. */
export const CamerasFile = Type.Object({ cameras: Type.Array(Camera, { minItems: 1, maxItems: 256 }) }, { additionalProperties: false });
export type CamerasFile = Static<typeof CamerasFile>;

/** Read and check a cameras file; a problem names the file and the field (`/cameras/0/fps`). */
export function readCamerasFile(path: string): CameraConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new VisionError('VIGIL_VISION_CONFIG', `${path}: cannot read as JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err, field: path });
  }
  const r = check(CamerasFile, raw);
  if (!r.ok) throw new VisionError('VIGIL_VISION_CONFIG', `${path}: ${r.error.message}`, { field: r.error.field });
  const cams = (raw as CamerasFile).cameras.map((c) => ({
    id: c.id,
    site: c.site,
    url: c.url,
    transport: c.transport,
    width: c.width,
    height: c.height,
    fps: c.fps,
    motion: { ...c.motion, masks: c.masks },
    scene: { zones: c.zones, downMs: c.downMs, lyingStillMs: c.lyingStillMs },
  }));
  const ids = new Set<string>();
  for (const [i, c] of cams.entries()) {
    if (ids.has(c.id)) throw new VisionError('VIGIL_VISION_CONFIG', `${path}: /cameras/${i}/id ${c.id} appears twice`, { field: `/cameras/${i}/id` });
    ids.add(c.id);
    try {
      checkCameraConfig(c);
    } catch (err) {
      throw new VisionError('VIGIL_VISION_CONFIG', `${path}: /cameras/${i}: ${(err as Error).message}`, { field: `/cameras/${i}` });
    }
  }
  return cams;
}
