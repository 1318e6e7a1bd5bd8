import type { Aedes, Client } from 'aedes';
import { deviceTopic, newMessage } from '@vigil/schemas';
import type { HookContext } from './hooks/context.js';

/** Options of trackPresence. */
export interface PresenceOptions {
  /** The broker's clock in ms since epoch; the envelope `ts` of each status. Default `Date.now`. */
  nowMs?: () => number;
  /**
   * How long a disconnect waits before saying offline, so that a takeover by the
   * same client id on another broker of the cluster (announced on `$SYS`) can
   * cancel it. Default 250 ms.
   */
  offlineDelayMs?: number;
}

/** Aedes announces every new client on `$SYS/<broker id>/new/clients` (shared through Redis in a cluster). */
const NEW_CLIENTS = '$SYS/+/new/clients';

/**
 * A sequence that never repeats across restarts: microseconds since epoch at
 * first use, then +1 per message (ARCHITECTURE.md "Envelope": `seq` never repeats).
 * Stays below 2^53 until the year 2255.
 */
export function createSeq(nowMs: () => number): () => number {
  let last = 0;
  return () => (last = Math.max(last + 1, Math.floor(nowMs()) * 1000));
}

/**
 * Publish each registered device's retained `agent.status` on its behalf:
 * `{online:true}` when it connects, `{online:false}` when its last connection
 * closes, cleanly or not. A device that sends its own birth and will still does:
 * its will goes out first (aedes publishes it while closing the connection), then
 * the broker's offline, stamped later, so the retained status and ingest's
 * newest-by-ts row both say offline even though the will was composed at CONNECT.
 */
export function trackPresence(aedes: Aedes, ctx: HookContext, opts: PresenceOptions = {}): void {
  const nowMs = opts.nowMs ?? Date.now;
  const nextSeq = createSeq(nowMs);
  // connections per device: a takeover [MQTT-3.1.4-2] or a second client must not mark it offline
  const connections = new Map<string, number>();
  const counted = new WeakSet<Client>();
  // A device that reconnects through another broker is closed here by aedes; that broker says online,
  // and an offline from us would land after it. Remember such hand-overs by client id.
  const handedOver = new Map<string, number>();
  const offlineDelayMs = opts.offlineDelayMs ?? 250;
  aedes.subscribe(
    NEW_CLIENTS,
    (packet, done) => {
      const brokerId = packet.topic.split('/')[1];
      if (brokerId !== aedes.id) {
        const now = nowMs();
        handedOver.set(packet.payload.toString(), now);
        // Only the last moments matter; keep the map small in a busy cluster.
        if (handedOver.size > 1_000) for (const [id, at] of handedOver) if (at < now - 10 * offlineDelayMs) handedOver.delete(id);
      }
      done();
    },
    () => undefined,
  );

  const publish = (site: string, device: string, online: boolean): void => {
    // on shutdown the subscribers are going too; the next broker marks devices again as they reconnect
    if (aedes.closed) return;
    const message = newMessage('agent.status', device, nextSeq(), { online }, nowMs());
    const topic = deviceTopic(site, device, 'status');
    aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(message)), qos: 1, retain: true, dup: false }, (err) => {
      if (err) ctx.log.warn({ err, device, online }, 'presence status not published / 在线状态发布失败');
    });
  };

  aedes.on('clientReady', (client) => {
    const principal = ctx.principals.get(client);
    if (principal?.kind !== 'device') return;
    counted.add(client);
    connections.set(principal.id, (connections.get(principal.id) ?? 0) + 1);
    publish(principal.site, principal.id, true);
  });
  aedes.on('clientDisconnect', (client) => {
    const principal = ctx.principals.get(client);
    if (principal?.kind !== 'device' || !counted.has(client)) return;
    counted.delete(client);
    const left = (connections.get(principal.id) ?? 1) - 1;
    if (left > 0) {
      connections.set(principal.id, left);
      return;
    }
    connections.delete(principal.id);
    const closedAt = nowMs();
    setTimeout(() => {
      const elsewhere = handedOver.get(client.id);
      if (elsewhere !== undefined && elsewhere >= closedAt - offlineDelayMs) {
        handedOver.delete(client.id);
        return; // the broker it moved to has published online
      }
      if (!connections.has(principal.id)) publish(principal.site, principal.id, false);
    }, offlineDelayMs).unref();
  });
}
