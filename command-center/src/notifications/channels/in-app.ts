import { EventEmitter } from 'node:events';
import type { Channel, OutgoingMessage, SendResult } from '../types.js';

/** What the page (command centre or the officer's phone view) receives. */
export interface InAppEvent {
  id: string;
  kind: OutgoingMessage['kind'];
  subject: string;
  text: string;
  link?: string;
  severity: string;
  alerts: OutgoingMessage['alerts'];
}

export interface InAppChannel extends Channel {
  /** Listen for one user's notifications (an SSE connection); returns the unsubscribe. */
  subscribe(userId: string, listener: (e: InAppEvent) => void): () => void;
  listeners(userId: string): number;
}

const ORDER = ['critical', 'high', 'medium', 'low'];

/**
 * In-app: an event emitter per user that the SSE route relays to open pages
 * (which play a sound and raise a system notification). Delivered when at least
 * one page of that user took it; otherwise sent, and the page shows it from the
 * list when it next opens.
 */
export function createInAppChannel(): InAppChannel {
  const em = new EventEmitter();
  em.setMaxListeners(0);
  return {
    name: 'in-app',
    send(msg: OutgoingMessage): Promise<SendResult> {
      const severity = ORDER.find((s) => msg.alerts.some((a) => a.severity === s)) ?? 'low';
      const e: InAppEvent = { id: msg.id, kind: msg.kind, subject: msg.subject, text: msg.text, severity, alerts: msg.alerts, ...(msg.link ? { link: msg.link } : {}) };
      const delivered = em.emit(`u:${msg.address}`, e);
      return Promise.resolve({ providerId: msg.id, delivered });
    },
    subscribe(userId, listener) {
      em.on(`u:${userId}`, listener);
      return () => {
        em.off(`u:${userId}`, listener);
      };
    },
    listeners: (userId) => em.listenerCount(`u:${userId}`),
    close() {
      em.removeAllListeners();
      return Promise.resolve();
    },
  };
}
