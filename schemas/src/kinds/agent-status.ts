import { Type, type Static } from '@sinclair/typebox';
import { envelopeOf } from '../envelope.js';
import { ID_PATTERN } from '../ids.js';

/** Birth / last-will status of a device or edge agent (retained). */
export const AgentStatusBody = Type.Object(
  {
    online: Type.Boolean(),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /** Messages waiting in the store-and-forward queue. */
    queue_depth: Type.Optional(Type.Integer({ minimum: 0 })),
    uptime_s: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Messages dropped from a full queue since start, lowest priority first. */
    dropped: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Each driver's state by driver name (edge agents only). */
    drivers: Type.Optional(
      Type.Record(
        Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: 64 }),
        Type.Object(
          {
            type: Type.String({ minLength: 1, maxLength: 32 }),
            state: Type.Union([Type.Literal('starting'), Type.Literal('up'), Type.Literal('degraded'), Type.Literal('down'), Type.Literal('stopped')]),
            detail: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          },
          { additionalProperties: false },
        ),
        { maxProperties: 256 },
      ),
    ),
  },
  { additionalProperties: false },
);
export const AgentStatus = envelopeOf('agent.status', AgentStatusBody);
export type AgentStatus = Static<typeof AgentStatus>;
