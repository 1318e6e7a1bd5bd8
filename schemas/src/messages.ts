import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AgentStatus } from './kinds/agent-status.js';
import { CamHealth } from './kinds/cam-health.js';
import { GateAccess } from './kinds/gate-access.js';
import { GateAlarm } from './kinds/gate-alarm.js';
import { GateState } from './kinds/gate-state.js';
import { TagFix } from './kinds/tag-fix.js';
import { TagHealth } from './kinds/tag-health.js';
import { TagTamper } from './kinds/tag-tamper.js';
import { PanicPress } from './kinds/panic-press.js';
import { CamDetection } from './kinds/cam-detection.js';
import { CheckinResult } from './kinds/checkin-result.js';
import type { DeviceChannel } from './topics.js';

/**
 * Every message kind, its schema and the topic channel it travels on.
 * Adding a kind: one file in `kinds/`, one line here.
 */
export const MESSAGE_KINDS = {
  'tag.fix': { schema: TagFix, channel: 'telemetry' },
  'tag.health': { schema: TagHealth, channel: 'telemetry' },
  'tag.tamper': { schema: TagTamper, channel: 'event' },
  'gate.state': { schema: GateState, channel: 'event' },
  'gate.access': { schema: GateAccess, channel: 'event' },
  'gate.alarm': { schema: GateAlarm, channel: 'event' },
  'cam.health': { schema: CamHealth, channel: 'telemetry' },
  'agent.status': { schema: AgentStatus, channel: 'status' },
  'panic.press': { schema: PanicPress, channel: 'event' },
  'cam.detection': { schema: CamDetection, channel: 'event' },
  'checkin.result': { schema: CheckinResult, channel: 'event' },
} as const satisfies Record<string, { schema: TSchema; channel: DeviceChannel }>;

export type MessageKind = keyof typeof MESSAGE_KINDS;

/** Any valid message, discriminated on `type`. */
export const Message = Type.Union([TagFix, TagHealth, TagTamper, GateState, GateAccess, GateAlarm, CamHealth, AgentStatus, PanicPress, CamDetection, CheckinResult]);
export type Message = Static<typeof Message>;

/** The message of one kind. */
export type MessageOf<K extends MessageKind> = Extract<Message, { type: K }>;

/** The body of one kind. */
export type BodyOf<K extends MessageKind> = MessageOf<K>['body'];

/** True if `type` names a known kind. */
export function isMessageKind(type: string): type is MessageKind {
  return Object.hasOwn(MESSAGE_KINDS, type);
}
