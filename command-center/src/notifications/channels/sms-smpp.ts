import { randomInt } from 'node:crypto';
import smpp, { type PDU, type Session } from 'smpp';
import type { Logger } from '../../logger.js';
import { NotifyError } from '../errors.js';
import { concatUdh, DATA_CODING, planSms } from '../sms-text.js';
import type { Channel, ChannelSink, OutgoingMessage, SendResult } from '../types.js';

/** Options of the SMPP channel (an operator's SMSC or an enterprise SMS gateway). */
export interface SmppChannelOptions {
  /** `smpp://host:port` (or `ssmpp://` for TLS). */
  url: string;
  systemId: string;
  password: string;
  /** The sender shown on the phone (a short code or number). */
  sourceAddr: string;
  /** Keep-alive; default 15 s. */
  enquireLinkMs?: number;
  /** Wait before binding again after the link drops; default 2 s. */
  reconnectMs?: number;
  /** Longest message in parts (each part is a billed SMS); default 4. */
  maxParts?: number;
  logger?: Logger;
}

export interface SmppChannel extends Channel {
  /** Resolves once bound (transceiver); for tests and start-up checks. */
  whenBound(): Promise<void>;
  isBound(): boolean;
}

/** Permanent SMPP errors: a bad destination or source address. */
const PERMANENT = new Set([0x0a, 0x0b]);

/** Text of a deliver_sm (a reply or a receipt). */
function textOf(pdu: PDU): string {
  const sm = (pdu.message_payload ?? pdu.short_message) as { message?: unknown } | Buffer | string | undefined;
  if (typeof sm === 'string') return sm;
  if (Buffer.isBuffer(sm)) return sm.toString('latin1');
  const m = sm?.message;
  return typeof m === 'string' ? m : Buffer.isBuffer(m) ? m.toString('latin1') : '';
}

/**
 * SMS through SMPP 3.4 (`smpp` package): one transceiver bind kept open with
 * enquire_link and rebound when it drops. A message is planned by `planSms`
 * (GSM 7-bit up to 160 / 153 per part, else UCS-2 up to 70 / 67 per part,
 * concatenated with an 8-bit-reference UDH, at most `maxParts`) and each part
 * is a submit_sm with a delivery receipt requested. deliver_sm from the
 * gateway is either a receipt (esm_class bit 0x04: "delivered" for that
 * message id) or a reply from the phone (handed to the runner, which
 * acknowledges the alert when it quotes the short code).
 */
export function createSmppChannel(opts: SmppChannelOptions): SmppChannel {
  const maxParts = opts.maxParts ?? 4;
  let sink: ChannelSink | null = null;
  let session: Session | null = null;
  let bound = false;
  let closed = false;
  let waiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | null = null;

  function open(): void {
    if (closed) return;
    const s = smpp.connect({ url: opts.url, auto_enquire_link_period: opts.enquireLinkMs ?? 15_000 });
    session = s;
    s.on('connect', () => {
      s.send(new smpp.PDU('bind_transceiver', { system_id: opts.systemId, password: opts.password }), (resp) => {
        if (resp.command_status !== 0) {
          opts.logger?.error({ status: resp.command_status }, 'SMPP bind refused');
          s.close();
          return;
        }
        bound = true;
        for (const w of waiters.splice(0)) w();
      });
    });
    s.on('deliver_sm', (pdu: PDU) => {
      s.send(pdu.response());
      const text = textOf(pdu);
      if (((pdu.esm_class as number) & 0x04) !== 0) {
        const id = (pdu.receipted_message_id as string | undefined) ?? /id:(\S+)/.exec(text)?.[1];
        if (id && /stat:DELIVRD/.test(text)) sink?.delivered('sms', id);
        return;
      }
      sink?.reply('sms', String(pdu.source_addr), text);
    });
    s.on('enquire_link', (pdu: PDU) => s.send(pdu.response()));
    s.on('unbind', (pdu: PDU) => {
      s.send(pdu.response());
      s.close();
    });
    s.on('error', (err: Error) => opts.logger?.warn({ err: err.message }, 'SMPP link error'));
    s.on('close', () => {
      bound = false;
      if (session === s) session = null;
      if (!closed) timer = setTimeout(open, opts.reconnectMs ?? 2000);
    });
  }
  open();

  function submit(s: Session, fields: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      s.send(new smpp.PDU('submit_sm', fields), (resp) => {
        if (resp.command_status === 0) resolve(String(resp.message_id));
        else reject(new NotifyError('VIGIL_NOTIFY_REJECTED', `SMPP submit_sm status 0x${resp.command_status.toString(16)}`, { permanent: PERMANENT.has(resp.command_status) }));
      });
    });
  }

  return {
    name: 'sms',
    attach(s) {
      sink = s;
    },
    whenBound: () => (bound ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    isBound: () => bound,
    async send(msg: OutgoingMessage, signal: AbortSignal): Promise<SendResult> {
      const s = session;
      if (!s || !bound) throw new NotifyError('VIGIL_NOTIFY_CHANNEL_DOWN', 'SMPP: not bound to the gateway');
      const plan = planSms(msg.text, maxParts);
      const ref = randomInt(0, 256);
      const ids: string[] = [];
      for (let i = 0; i < plan.parts.length; i++) {
        if (signal.aborted) throw signal.reason as Error;
        const part = plan.parts[i]!;
        ids.push(
          await submit(s, {
            source_addr: opts.sourceAddr,
            destination_addr: msg.address,
            registered_delivery: 1,
            data_coding: DATA_CODING[plan.encoding],
            short_message: plan.parts.length > 1 ? { udh: concatUdh(ref, plan.parts.length, i + 1), message: part } : part,
          }),
        );
      }
      return { providerId: ids.join(',') };
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      waiters = [];
      const s = session;
      if (!s) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = setTimeout(() => s.destroy(() => resolve()), 1000);
        s.close(() => {
          clearTimeout(done);
          resolve();
        });
      });
    },
  };
}
