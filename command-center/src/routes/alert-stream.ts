import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import { Type, type Static } from '@sinclair/typebox';
import { Id, type Alert } from '@vigil/schemas';
import type { AlertFeed } from '../alert-feed.js';
import { appendAudit } from '../audit.js';

/** Default interval of the SSE heartbeat comment. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Reconnect delay suggested to browsers. */
const RECONNECT_MS = 3000;

const StreamQuery = Type.Object({ site: Type.Optional(Id) }, { additionalProperties: false });
type StreamQuery = Static<typeof StreamQuery>;

/** Options of the alert stream. */
export interface AlertStreamOptions {
  pool: Pool;
  alertFeed: AlertFeed;
  actorOf: (req: FastifyRequest) => string;
  /** Interval of the `: heartbeat` comment that keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
}

/**
 * `GET /api/alerts/stream[?site=]`: Server-Sent Events, one `event: alert` per alert
 * from the feed (WHATWG HTML "Server-sent events"). The browser's EventSource reconnects
 * by itself; the UI reloads the list when it does, so no event ids or replay are kept.
 */
export const alertStreamRoutes: FastifyPluginAsync<AlertStreamOptions> = async (app, opts) => {
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const open = new Set<ServerResponse>();

  // An open stream never ends by itself, so close() would wait for ever: end them first.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get<{ Querystring: StreamQuery }>('/api/alerts/stream', { schema: { querystring: StreamQuery } }, async (req, reply) => {
    const site = req.query.site;
    await appendAudit(opts.pool, {
      actor: opts.actorOf(req),
      action: 'alerts.stream',
      resource: 'alerts',
      detail: { site: site ?? null },
    });

    reply.hijack(); // from here on we own the socket; Fastify sends nothing more
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    // `retry`: how long the browser waits before reconnecting after a drop (EventSource default is ~3 s anyway).
    res.write(`retry: ${RECONNECT_MS}\n\n: connected\n\n`);
    open.add(res);

    const send = (alert: Alert): void => {
      if (site !== undefined && alert.site !== site) return;
      res.write(`event: alert\ndata: ${JSON.stringify(alert)}\n\n`);
    };
    const unsubscribe = opts.alertFeed.subscribe(send);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);

    const cleanUp = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    };
    res.on('close', cleanUp);
    req.log.debug({ site }, 'alert stream opened');
  });
};
