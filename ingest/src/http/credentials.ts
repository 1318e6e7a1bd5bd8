import type { IncomingHttpHeaders } from 'node:http';

/**
 * The token of a v2 write: `Authorization: Token <token>` as InfluxDB 2.x and
 * Telegraf's influxdb_v2 output send it (`Bearer` accepted too), scheme case-insensitive.
 */
export function v2Token(headers: IncomingHttpHeaders): string | undefined {
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m?.[1];
}

/**
 * The token of a v1 write, taken where InfluxDB 1.x and 2.x's v1 compatibility
 * API take credentials: `?u=&p=` (the token is the password), `Authorization:
 * Token <token>` or `Token <user>:<token>`, `Bearer <token>`, or basic auth
 * with the token as the password. The user name is not checked: the token alone says which device writes.
 */
export function v1Token(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const p = query.get('p');
  if (p) return p;
  const auth = headers.authorization ?? '';
  const token = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(auth)?.[1];
  if (token) return token.includes(':') ? token.slice(token.indexOf(':') + 1) : token;
  const basic = /^basic\s+(\S+)\s*$/i.exec(auth)?.[1];
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}
