import type { Alert } from '@vigil/schemas';
import { request } from './http';
import type { UiAction } from './lifecycle';

/** Most alerts kept on screen; older ones remain in the database. */
export const MAX_ALERTS = 500;

/** Connection state of the live stream, shown in the header. */
export type LinkState = 'connecting' | 'live' | 'reconnecting';

/** Fetch the newest alerts. */
export async function fetchAlerts(signal?: AbortSignal): Promise<Alert[]> {
  const body = await request<{ alerts: Alert[] }>(`/api/alerts?limit=${MAX_ALERTS}`, signal ? { signal } : {});
  return body.alerts;
}

/** One lifecycle action on an alert (or an officer's accepting it); the API answers the alert in its new state or refuses with a field. */
export async function actOn(id: string, action: UiAction, body: Record<string, unknown> = {}): Promise<Alert> {
  const res = await request<{ alert: Alert }>(`/api/alerts/${encodeURIComponent(id)}/${action}`, { method: 'POST', body });
  return res.alert;
}

/**
 * Add or replace alerts by id, newest raised first. A later version of an alert
 * (a repeat folded in, a new state) replaces the older one, never the reverse.
 */
export function mergeAlerts(current: readonly Alert[], incoming: readonly Alert[]): Alert[] {
  const byId = new Map(current.map((a) => [a.id, a]));
  for (const a of incoming) {
    const old = byId.get(a.id);
    if (!old || a.last_ts >= old.last_ts) byId.set(a.id, a);
  }
  return [...byId.values()].sort((x, y) => y.raised_ts - x.raised_ts || (x.id < y.id ? 1 : -1)).slice(0, MAX_ALERTS);
}

/** Handlers of the live stream. */
export interface StreamHandlers {
  onAlert: (alert: Alert) => void;
  onState: (state: LinkState) => void;
  /** Called on every (re)connection, so the list can be reloaded to catch what was missed. */
  onOpen: () => void;
  /** The browser gave up on the stream (an HTTP error such as 401): check the session. */
  onClosed?: () => void;
}

/** Open the SSE stream; EventSource retries by itself, we retry when it gives up. Returns a stop function. */
export function openAlertStream(h: StreamHandlers): () => void {
  let es: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const start = (): void => {
    es = new EventSource('/api/alerts/stream');
    es.addEventListener('open', () => {
      h.onState('live');
      h.onOpen();
    });
    es.addEventListener('alert', (ev) => {
      try {
        h.onAlert(JSON.parse((ev as MessageEvent<string>).data) as Alert);
      } catch {
        // The server only sends validated alerts; a broken frame is skipped, the next reload fixes the list.
      }
    });
    es.addEventListener('error', () => {
      h.onState('reconnecting');
      // CLOSED means the browser will not retry (e.g. an HTTP error status).
      if (es?.readyState === EventSource.CLOSED && !stopped) {
        es.close();
        h.onClosed?.();
        retry = setTimeout(start, 3000);
      }
    });
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(retry);
    es?.close();
  };
}
