import type { Alert, Severity } from '@vigil/schemas';

/** The channels a policy can name. */
export const CHANNEL_NAMES = ['email', 'sms', 'webhook', 'mqtt', 'in-app'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

/** The languages of a message. */
export type Lang = 'en' | 'zh-CN';

/** What a notification says about one alert (kept with the outbox row). */
export interface AlertSummary {
  id: string;
  rule: string;
  severity: Severity;
  site: string;
  dev: string;
  subject?: string;
  title: Alert['title'];
  raised_ts: number;
}

/** One message as a channel sends it: already written in the recipient's language. */
export interface OutgoingMessage {
  /** The outbox row id (UUIDv7); also the idempotency key at the far end (webhook delivery id, MQTT command id). */
  id: string;
  channel: ChannelName;
  kind: 'single' | 'group' | 'digest';
  /** e-mail address, phone number, webhook name, or `<site>/<device>` for MQTT; a user id for in-app. */
  address: string;
  userId: string | null;
  lang: Lang;
  subject: string;
  /** The short form (SMS, device, in-app); `body` the long one (e-mail). */
  text: string;
  body: string;
  /** Signed deep link that opens the alert on the phone, when the recipient is a user. */
  link?: string;
  /** Short code an SMS reply can quote to acknowledge the alert. */
  shortCode?: string;
  alerts: AlertSummary[];
  /** Channel-specific extras from the policy (e.g. the device message). */
  extra?: Record<string, unknown>;
}

/** What the channel's server said. `delivered`: the far end confirmed (SMTP 250, HTTP 2xx); otherwise only sent. */
export interface SendResult {
  providerId?: string;
  delivered?: boolean;
}

/** Told by a channel of things that arrive later: a delivery receipt, a reply. */
export interface ChannelSink {
  /** The far end confirmed the message it knows as `providerId` (or the outbox id). */
  delivered(channel: ChannelName, providerId: string): void;
  /** A person answered (an SMS reply from `from`). */
  reply(channel: ChannelName, from: string, text: string): void;
}

/**
 * A channel plugin: one small interface for every protocol. `send` resolves once the
 * channel's server took the message and rejects (a `NotifyError` with `permanent` for
 * no retry) otherwise; it must give up when `signal` aborts.
 */
export interface Channel {
  readonly name: ChannelName;
  send(msg: OutgoingMessage, signal: AbortSignal): Promise<SendResult>;
  /** Receive delivery receipts and replies (channels that have them). */
  attach?(sink: ChannelSink): void;
  close(): Promise<void>;
}
