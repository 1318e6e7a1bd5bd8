import { v7 as uuidv7 } from 'uuid';
import { ENVELOPE_VERSION } from './envelope.js';
import type { BodyOf, MessageKind, MessageOf } from './messages.js';

/** Build an envelope with a fresh UUIDv7 id. `ts` defaults to now. */
export function newMessage<K extends MessageKind>(type: K, dev: string, seq: number, body: BodyOf<K>, ts: number = Date.now()): MessageOf<K> {
  return { v: ENVELOPE_VERSION, id: uuidv7(), dev, ts, seq, type, body } as MessageOf<K>;
}

/** A fresh UUIDv7 (time-ordered), for alerts and other records. */
export function newId(): string {
  return uuidv7();
}
