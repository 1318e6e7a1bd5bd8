import { Type, type Static } from '@sinclair/typebox';
import { EpochMs, Id, Uuid } from './ids.js';

/**
 * A command to a device, published on `vigil/v1/<site>/<device>/cmd/<name>`
 * (QoS 1). `id` makes it idempotent: a device (or its edge agent) that has
 * already executed `id` answers again with the stored result and does not
 * execute twice. A command received after `expires_at` is refused.
 */
export const CommandRequest = Type.Object(
  {
    id: Uuid,
    /** The same as the topic's `<name>`. */
    name: Id,
    args: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown())),
    ts: EpochMs,
    expires_at: Type.Optional(EpochMs),
    /** Who asked (a user or service id), for the audit trail. */
    by: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false, $id: 'vigil.command' },
);
export type CommandRequest = Static<typeof CommandRequest>;

/** How a command ended. */
export const CommandStatus = Type.Union([
  Type.Literal('ok'),
  Type.Literal('error'),
  /** Not executed: expired, unknown command, bad arguments, or not allowed now. */
  Type.Literal('refused'),
]);
export type CommandStatus = Static<typeof CommandStatus>;

/** The answer on `vigil/v1/<site>/<device>/cmd/<name>/res` (QoS 1). */
export const CommandResult = Type.Object(
  {
    id: Uuid,
    name: Id,
    status: CommandStatus,
    /** Human-readable outcome or the reason for a refusal/error. */
    detail: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** Machine-readable result, per command (e.g. a snapshot's path and size). */
    result: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.Unknown())),
    /** `true` when this answers a repeated `id` from the stored result, without executing again. */
    replayed: Type.Optional(Type.Boolean()),
    ts: EpochMs,
  },
  { additionalProperties: false, $id: 'vigil.command-result' },
);
export type CommandResult = Static<typeof CommandResult>;
