import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { validate } from '@vigil/schemas';
import type { GateCheck, GateWatch } from './gate-watch.js';

/** Settings of `listenForCardReads`. */
export interface CardReadListenOptions {
  /** Reads waiting to be judged beyond this are dropped with a warning (a burst must not queue frames without end). Default 32. */
  maxPending?: number;
  /** Called with each judged read (tests, metrics). */
  onCheck?: (c: GateCheck) => void;
}

/**
 * Subscribe to the event channels of the sites with gate cameras (the
 * analytics service account may read events: broker/src/service-accounts.ts)
 * and hand every valid gate.access to the gate watch, one at a time.
 * Other kinds on those topics are ignored; an invalid message is logged.
 */
export async function listenForCardReads(client: MqttClient, watch: GateWatch, log: Logger, opts: CardReadListenOptions = {}): Promise<void> {
  if (watch.filters.length === 0) return;
  const maxPending = opts.maxPending ?? 32;
  let pending = 0;
  let chain: Promise<void> = Promise.resolve();
  client.on('message', (topic, payload) => {
    if (!watch.filters.some((f) => topic.startsWith(f.slice(0, f.indexOf('+'))))) return;
    const r = validate(topic, payload);
    if (!r.ok) {
      log.warn({ topic, error: r.error }, 'invalid message on a gate topic; ignored');
      return;
    }
    if (r.message.type !== 'gate.access') return;
    const msg = r.message;
    if (pending >= maxPending) {
      log.warn({ door: msg.body.door, msgId: msg.id, pending }, 'too many card reads waiting; this one is not judged');
      return;
    }
    pending++;
    chain = chain
      .then(() => watch.handle(r.site, msg))
      .then(
        (c) => void (c && opts.onCheck?.(c)),
        (err: unknown) => log.error({ err, door: msg.body.door, msgId: msg.id }, 'card read could not be judged'),
      )
      .finally(() => void pending--);
  });
  await client.subscribeAsync(watch.filters, { qos: 1 });
  log.info({ filters: watch.filters }, 'listening for card reads at gate cameras');
}
