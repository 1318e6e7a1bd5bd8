export { Id, ID_PATTERN, isValidId, Uuid, UUID_PATTERN, EpochMs, Lat, Lon, ShortText } from './ids.js';
export { ENVELOPE_VERSION, envelopeOf, EnvelopeHead } from './envelope.js';
export {
  TOPIC_ROOT,
  ALL_ALERTS_FILTER,
  deviceTopic,
  commandTopic,
  alertsTopic,
  channelFilter,
  devicePrefix,
  parseTopic,
  type DeviceChannel,
  type ParsedTopic,
} from './topics.js';
export { TagFix, TagFixBody } from './kinds/tag-fix.js';
export { TagHealth, TagHealthBody } from './kinds/tag-health.js';
export { TagTamper, TagTamperBody } from './kinds/tag-tamper.js';
export { GateState, GateStateBody } from './kinds/gate-state.js';
export { GateAccess, GateAccessBody } from './kinds/gate-access.js';
export { GateAlarm, GateAlarmBody } from './kinds/gate-alarm.js';
export { CamHealth, CamHealthBody } from './kinds/cam-health.js';
export { AgentStatus, AgentStatusBody } from './kinds/agent-status.js';
export { PanicPress, PanicPressBody } from './kinds/panic-press.js';
export { CamDetection, CamDetectionBody, DetectedObject, FrameBox } from './kinds/cam-detection.js';
export { CheckinResult, CheckinResultBody } from './kinds/checkin-result.js';
export { MESSAGE_KINDS, Message, isMessageKind, type MessageKind, type MessageOf, type BodyOf } from './messages.js';
export { Alert, AlertAction, AlertEvidence, AlertState, Disposition, EvidenceFix, Severity } from './alert.js';
export { check, compiledCheck } from './check.js';
export { validate, MAX_PAYLOAD_BYTES, type ValidMessage, type InvalidMessage } from './validate.js';
export { newMessage, newId } from './new-message.js';
export type { ValidationError, SchemaErrorCode } from './errors.js';
export { CommandRequest, CommandResult, CommandStatus } from './commands.js';
