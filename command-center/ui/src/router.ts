/** A page of the shell, from the location hash. */
export type Route =
  | { name: 'queue' }
  | { name: 'login' }
  | { name: 'alert'; id: string }
  | { name: 'notify'; token: string }
  | { name: 'mine' }
  | { name: 'admin' }
  | { name: 'view'; id: string };

/** `#/`, `#/login`, `#/alerts/<id>`, `#/notify/<token>`, `#/mine`, `#/admin`, `#/<view id>`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [head = '', rest = ''] = path.split(/\/(.*)/s, 2);
  if (head === '') return { name: 'queue' };
  if (head === 'login') return { name: 'login' };
  if (head === 'mine') return { name: 'mine' };
  if (head === 'admin') return { name: 'admin' };
  if (head === 'alerts' && rest) return { name: 'alert', id: decodeURIComponent(rest) };
  if (head === 'notify' && rest) return { name: 'notify', token: decodeURIComponent(rest) };
  return { name: 'view', id: decodeURIComponent(head) };
}

/** The hash of an alert's detail page. */
export const alertHref = (id: string): string => `#/alerts/${encodeURIComponent(id)}`;
