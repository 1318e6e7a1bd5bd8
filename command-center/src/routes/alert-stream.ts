import type { FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Type, type Static } from '@sinclair/typebox';
import { Id, type Alert } from '@vigil/schemas';
import { allows } from '../access/roles.js';
import { alertInScope } from '../access/scope.js';
import type { AlertFeed, DeviceStatusEvent } from '../alert-feed.js';
import { principalOf, scopeOf, type AppContext } from '../context.js';

/** Default interval of the SSE heartbeat comment. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Reconnect delay suggested to browsers. */
const RECONNECT_MS = 3000;

const StreamQuery = Type.Object({ site: Type.Optional(Id) }, { additionalProperties: false });
type StreamQuery = Static<typeof StreamQuery>;

/** Options of the alert stream. */
export interface AlertStreamOptions {
  ctx: AppContext;
  alertFeed: AlertFeed;
  /** Interval of the `: heartbeat` comment that keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
}

/**
 * `GET /api/alerts/stream[?site=]`: Server-Sent Events (WHATWG HTML "Server-sent events"):
 * `event: alert` for each new alert and each change of one (the same record, its new state),
 * `event: device` for each device going online or offline — only what the user's scope
 * holds, decided for every event. The browser's EventSource reconnects by itself; the UI
 * reloads the list when it does, so no event ids or replay are kept.
 */
export const alertStreamRoutes: FastifyPluginAsync<AlertStreamOptions> = async (app, opts) => {
  const { ctx } = opts;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const open = new Set<ServerResponse>();

  // An open stream never ends by itself, so close() would wait for ever: end them first.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get<{ Querystring: StreamQuery }>(
    '/api/alerts/stream',
    { config: { permission: 'alerts.read' }, schema: { tags: ['alerts'], querystring: StreamQuery } },
    async (req, reply) => {
      const site = req.query.site;
      const p = principalOf(req);
      const scope = await scopeOf(ctx, req);
      const devices = allows(p.role, 'devices.read', p.scopes);
      await ctx.audit(req, { action: 'alerts.stream', resource: 'alerts', detail: { site: site ?? null, sites: scope.sites.length } });

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
        if (!alertInScope(scope, { site: alert.site, subject: alert.subject ?? null, officer: alert.officer ?? null })) return;
        res.write(`event: alert\ndata: ${JSON.stringify(alert)}\n\n`);
      };
      const sendStatus = (s: DeviceStatusEvent): void => {
        if (!devices || (site !== undefined && s.site !== site) || !scope.siteSet.has(s.site)) return;
        res.write(`event: device\ndata: ${JSON.stringify(s)}\n\n`);
      };
      const unsubscribe = opts.alertFeed.subscribe(send);
      const unsubscribeStatus = opts.alertFeed.subscribeStatus?.(sendStatus);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);

      const cleanUp = (): void => {
        clearInterval(heartbeat);
        unsubscribe();
        unsubscribeStatus?.();
        open.delete(res);
      };
      res.on('close', cleanUp);
      // The client may have gone while the audit row was written (a page reload): 'close' has fired already.
      if (res.destroyed || req.raw.socket.destroyed) cleanUp();
      req.log.debug({ site }, 'alert stream opened');
    },
  );
};
