/** One in-app notification as `GET /api/notify/feed` sends it (notifications/channels/in-app.ts `InAppEvent`). */
export interface InAppEvent {
  id: string;
  kind: string;
  subject: string;
  text: string;
  /** The deep link of the message (`<base>/m/<token>`), when links are configured. */
  link?: string;
  severity: string;
}

/** How long to wait before trying again when the feed is refused (e.g. 503: in-app notifications not running). */
const RETRY_MS = 30_000;

/** Follow the signed-in user's in-app notifications; returns a stop function. */
export function openNotifyFeed(onEvent: (e: InAppEvent) => void): () => void {
  let es: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const start = (): void => {
    es = new EventSource('/api/notify/feed');
    es.addEventListener('notification', (ev) => {
      try {
        onEvent(JSON.parse((ev as MessageEvent<string>).data) as InAppEvent);
      } catch {
        // a broken frame: the notification is still in the list of the link it came with
      }
    });
    es.addEventListener('error', () => {
      if (es?.readyState === EventSource.CLOSED && !stopped) {
        es.close();
        retry = setTimeout(start, RETRY_MS);
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

/** The page of a notification's deep link: `#/notify/<token>` (same site, whatever host the link names). */
export function notifyHash(link: string | undefined): string | null {
  if (!link) return null;
  try {
    const m = /^\/m\/([A-Za-z0-9._~%-]+)$/.exec(new URL(link, location.origin).pathname);
    return m ? `#/notify/${m[1]}` : null;
  } catch {
    return null;
  }
}

/** A system notification when the user allowed them (the page may be in the background). */
export function systemNotify(e: InAppEvent, onClick: () => void): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(e.subject, { body: e.text.slice(0, 200), tag: e.id, icon: '/icon.svg' });
    n.onclick = () => {
      window.focus();
      onClick();
    };
  } catch {
    // some phones only allow notifications from a service worker: the in-page banner remains
  }
}
