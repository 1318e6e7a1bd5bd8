import { check } from './check.js';
import { EnvelopeHead } from './envelope.js';
import type { SchemaErrorCode, ValidationError } from './errors.js';
import { MESSAGE_KINDS, isMessageKind, type Message } from './messages.js';
import { parseTopic } from './topics.js';

/** Larger payloads are refused before parsing (the broker's limit is the same). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** A message that passed every check, with where it came from. */
export interface ValidMessage {
  ok: true;
  site: string;
  device: string;
  message: Message;
}

/** A refused message and why. */
export interface InvalidMessage {
  ok: false;
  error: ValidationError;
}

const fail = (code: SchemaErrorCode, field: string, rule: string, message: string): InvalidMessage => ({
  ok: false,
  error: { code, field, rule, message },
});

/**
 * Validate one MQTT message: the topic, the size, the JSON, the envelope,
 * the body of its kind, the channel it came on, and that the topic's device
 * is the envelope's `dev` (a device may only speak for itself).
 */
export function validate(topic: string, payload: Buffer | Uint8Array | string | unknown): ValidMessage | InvalidMessage {
  const where = parseTopic(topic);
  if (!where || where.kind !== 'device' || where.channel === 'lp') {
    return fail('VIGIL_SCHEMA_TOPIC', '', 'topic', `topic ${JSON.stringify(topic.slice(0, 200))} is not vigil/v1/<site>/<device>/{telemetry|event|status}`);
  }
  let value: unknown = payload;
  if (typeof payload === 'string' || payload instanceof Uint8Array) {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    if (size > MAX_PAYLOAD_BYTES) return fail('VIGIL_SCHEMA_SIZE', '', 'maxBytes', `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
    try {
      value = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
    } catch (err) {
      return fail('VIGIL_SCHEMA_JSON', '', 'json', `payload is not JSON: ${(err as Error).message}`);
    }
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && !isMessageKind(type)) {
    return fail('VIGIL_SCHEMA_KIND', '/type', 'kind', `unknown message type ${JSON.stringify(type.slice(0, 64))}`);
  }
  if (typeof type !== 'string') {
    const head = check(EnvelopeHead, value);
    return head.ok ? fail('VIGIL_SCHEMA_KIND', '/type', 'kind', 'missing type') : head;
  }
  const kind = MESSAGE_KINDS[type as keyof typeof MESSAGE_KINDS];
  if (kind.channel !== where.channel) {
    return fail('VIGIL_SCHEMA_CHANNEL', '/type', 'channel', `${type} belongs on the ${kind.channel} topic, not ${where.channel}`);
  }
  const body = check(kind.schema, value);
  if (!body.ok) return body;
  const message = body.value as Message;
  if (message.dev !== where.device) {
    return fail('VIGIL_SCHEMA_DEVICE', '/dev', 'topic-device-match', `envelope dev ${JSON.stringify(message.dev)} differs from topic device ${JSON.stringify(where.device)}`);
  }
  return { ok: true, site: where.site, device: where.device, message };
}
