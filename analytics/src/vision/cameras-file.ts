import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { check, Id } from '@vigil/schemas';
import { VisionError } from './errors.js';
import { DEFAULT_THRESHOLDS } from '../biometrics/match.js';
import { checkCameraConfig, type CameraConfig, type GateCameraConfig } from './camera.js';

const Pt = Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })]);
const Zone = Type.Object(
  {
    id: Id,
    kind: Type.Union([Type.Literal('restricted'), Type.Literal('crowd'), Type.Literal('loiter')]),
    polygon: Type.Array(Pt, { minItems: 3, maxItems: 64 }),
    maxPeople: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    minMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
  },
  { additionalProperties: false },
);
const Camera = Type.Object(
  {
    id: Id,
    site: Id,
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
    /** A gate camera: the doors in view (gate.access `door`), and optionally its face thresholds. */
    gate: Type.Optional(
      Type.Object(
        {
          doors: Type.Array(Id, { minItems: 1, maxItems: 16 }),
          match: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
          uncertainBand: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
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
    ...(c.gate ? { gate: gateConfig(c.gate) } : {}),
  }));
  const doors = new Map<string, number>();
  const ids = new Set<string>();
  for (const [i, c] of cams.entries()) {
    if (ids.has(c.id)) throw new VisionError('VIGIL_VISION_CONFIG', `${path}: /cameras/${i}/id ${c.id} appears twice`, { field: `/cameras/${i}/id` });
    ids.add(c.id);
    for (const [j, door] of (c.gate?.doors ?? []).entries()) {
      // One camera judges a door's reads: two would raise two verdicts on one read.
      const other = doors.get(`${c.site}/${door}`);
      if (other !== undefined) throw new VisionError('VIGIL_VISION_CONFIG', `${path}: /cameras/${i}/gate/doors/${j} ${door} is already watched by /cameras/${other}`, { field: `/cameras/${i}/gate/doors/${j}` });
      doors.set(`${c.site}/${door}`, i);
    }
    try {
      checkCameraConfig(c);
    } catch (err) {
      throw new VisionError('VIGIL_VISION_CONFIG', `${path}: /cameras/${i}: ${(err as Error).message}`, { field: `/cameras/${i}` });
    }
  }
  return cams;
}

function gateConfig(g: NonNullable<CamerasFile['cameras'][number]['gate']>): GateCameraConfig {
  if (g.match === undefined && g.uncertainBand === undefined) return { doors: g.doors };
  return { doors: g.doors, thresholds: { match: g.match ?? DEFAULT_THRESHOLDS.match, uncertainBand: g.uncertainBand ?? DEFAULT_THRESHOLDS.uncertainBand } };
}
