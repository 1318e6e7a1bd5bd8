import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';

/** Health of one camera stream as supervised by the edge agent. */
export const CamHealthBody = Type.Object(
  {
    online: Type.Boolean(),
    fps: Type.Optional(Type.Number({ minimum: 0, maximum: 240 })),
    bitrate_kbps: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000 })),
    last_frame_ts: Type.Optional(Type.Integer({ minimum: 0 })),
    error: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export const CamHealth = envelopeOf('cam.health', CamHealthBody);
export type CamHealth = Static<typeof CamHealth>;
