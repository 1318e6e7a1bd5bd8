import { fastify, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { fastifyCookie } from '@fastify/cookie';
import { fastifyHelmet } from '@fastify/helmet';
import { fastifyRateLimit } from '@fastify/rate-limit';
import { fastifySwagger } from '@fastify/swagger';
import { fastifyWebsocket } from '@fastify/websocket';
import type { Pool } from 'pg';
import { createScopeCache } from './access/scope.js';
import type { AlertFeed, AlertHub } from './alert-feed.js';
import { installAuth } from './auth/hook.js';
import type { SessionInfo } from './auth/sessions.js';
import type { CameraRelayOptions } from './cameras/relay.js';
import type { CommandBus } from './command-bus.js';
import { DEFAULT_SECURITY, makeContext, scopeOf, type SecurityOptions } from './context.js';
import { createLogger, type Logger } from './logger.js';
import type { ServiceEndpoint } from './service-probe.js';
import { notificationRoutes, type InAppChannel } from './notifications/index.js';
import { accessCardRoutes } from './routes/access-cards.js';
import { alertRoutes } from './routes/alerts.js';
import { alertStreamRoutes } from './routes/alert-stream.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { cameraRoutes } from './routes/cameras.js';
import { checkinRoutes } from './routes/checkins.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { deviceRoutes } from './routes/devices.js';
import { deviceHealthRoutes } from './routes/device-health.js';
import { deviceUptimeRoutes } from './routes/device-uptime.js';
import { healthRoutes } from './routes/health.js';
import { officerRoutes } from './routes/officers.js';
import { orgRoutes } from './routes/org.js';
import { presenceRoutes } from './routes/presence.js';
import { reportRoutes } from './routes/reports.js';
import { ruleRoutes } from './routes/rules.js';
import { checkinPublicRoutes } from './routes/checkin-public.js';
import { checkinRequestRoutes } from './routes/checkin-requests.js';
import { subjectContactRoutes } from './routes/subject-contact.js';
import type { CheckinScheduler } from './checkin/scheduler.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { subjectRoutes } from './routes/subjects.js';
import { systemHealthRoutes } from './routes/system-health.js';
import { tokenRoutes } from './routes/tokens.js';
import { traceRoutes } from './routes/trace.js';
import { trackRoutes } from './routes/tracks.js';
import { uiRoutes } from './routes/ui.js';
import { userRoutes } from './routes/users.js';
import { zoneRoutes } from './routes/zones.js';

/** Options of `buildApp`. */
export interface BuildAppOptions {
  /** Made by `createPool` of `@vigil/ingest` (one connection; never held across awaits). */
  pool: Pool;
  /** Live alerts (and device status) for the stream; when it is an `AlertHub`, changes made through the API are emitted on it too. */
  alertFeed: AlertFeed;
  /** The built UI; without it only the API is served. */
  publicDir?: string;
  logger?: Logger;
  /** SSE heartbeat interval; default 15 000 ms. */
  heartbeatMs?: number;
  /** Session, lockout, rate and size limits; defaults in `DEFAULT_SECURITY`. */
  security?: Partial<SecurityOptions>;
  /** Sends device commands over MQTT; without it the command routes answer 503. */
  commandBus?: CommandBus;
  /** Live camera relay (ffmpeg); without it the live route answers 503. */
  cameras?: CameraRelayOptions;
  /** Notification routes (deep links, who was notified, in-app feed, dead letters); without it they are not served. */
  notifications?: { linkSecret: Buffer; inApp?: InAppChannel };
  /** Services shown on the health page (their `/healthz` and `/metrics`). */
  serviceEndpoints?: readonly ServiceEndpoint[];
  /** Remote check-in: the link secret (derived per purpose, so the notification secret may be used); without it these routes are not served. */
  checkin?: { tokenSecret: Buffer; scheduler?: CheckinScheduler };
  /** Where the vision process keeps detection snapshots; without it snapshots are not served. */
  snapshotDir?: string;
}

/**
 * The Content-Security-Policy: everything from this origin only, no inline script or
 * style, no plugins, not framable. `wasm-unsafe-eval` lets JSMpeg's WebAssembly decoder run.
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  // Vite inlines the smallest font slices as data: URLs; a font cannot run script.
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  mediaSrc: ["'self'", 'blob:'],
  workerSrc: ["'self'", 'blob:'],
  manifestSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Build the command-centre HTTP app (API + UI), not listening; tests use `app.inject()`. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  // pino's Logger and Fastify's base logger differ only in typing details; at run time Fastify wants pino.
  const logger: FastifyBaseLogger = opts.logger ?? createLogger('command-center');
  const security: SecurityOptions = { ...DEFAULT_SECURITY, ...opts.security };
  const app = fastify({
    loggerInstance: logger,
    bodyLimit: security.bodyLimitBytes,
    forceCloseConnections: true,
    // An unknown field is an error naming it, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  });
  const sessionCache = new Map<string, { at: number; session: SessionInfo }>();
  const ctx = makeContext(opts.pool, createScopeCache(opts.pool, security.scopeCacheMs), security, () => sessionCache.clear());

  app.setErrorHandler((err: FastifyError & { field?: string }, req, reply) => {
    if (err.validation) {
      const field = validationField(err);
      const first = err.validation[0];
      const allowed = (first?.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
      const message = `${field}: ${first?.message ?? 'invalid'}${allowed ? ` (${allowed.join(', ')})` : ''}`;
      return reply.code(400).send({ code: 'VIGIL_CC_VALIDATION', field, message });
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ code: err.code, status }, err.message);
    // Never a stack trace or an internal message to the client.
    const code = status >= 500 ? 'VIGIL_CC_INTERNAL' : status === 429 ? 'VIGIL_CC_RATE_LIMITED' : (err.code ?? 'VIGIL_CC_ERROR');
    const body: Record<string, unknown> = { code, message: status >= 500 ? 'internal error / 内部错误' : err.message };
    if (err.field) body.field = err.field;
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ code: 'VIGIL_CC_NOT_FOUND', message: `${req.method} ${req.url.split('?')[0]} not found / 未找到` }));

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyCookie);
  // Per client address, before anything else is done for the request.
  await app.register(fastifyRateLimit, { global: true, max: security.rateLimitPerAddress, timeWindow: 60_000, hook: 'onRequest' });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Vigil command centre API', version: '1', description: 'Sessions (cookie vigil_session) or API tokens (Authorization: Bearer vgt_...).' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'vigil_session' }, token: { type: 'http', scheme: 'bearer' } } },
      security: [{ session: [] }, { token: [] }],
    },
    hideUntagged: true,
  });
  // Per signed-in user (or API token's owner), checked once the request is authenticated.
  const perUser = app.createRateLimit({ max: security.rateLimitPerUser, timeWindow: 60_000, keyGenerator: (req) => `user:${req.principal?.userId ?? req.ip}` });
  installAuth(app, ctx, sessionCache, async (req) => {
    const r = await perUser(req);
    return r.isAllowed ? {} : r;
  });

  const hub = isHub(opts.alertFeed) ? opts.alertFeed : undefined;
  await app.register(healthRoutes, { pool: opts.pool, alertFeed: opts.alertFeed });
  await app.register(systemHealthRoutes, { ctx, alertFeed: opts.alertFeed, endpoints: opts.serviceEndpoints ?? [] });
  await app.register(authRoutes, { ctx });
  await app.register(tokenRoutes, { ctx });
  await app.register(userRoutes, { ctx });
  await app.register(orgRoutes, { ctx });
  await app.register(subjectRoutes, { ctx });
  await app.register(deviceRoutes, { ctx, ...(opts.commandBus ? { commandBus: opts.commandBus } : {}) });
  await app.register(accessCardRoutes, { ctx, ...(opts.snapshotDir !== undefined ? { snapshotDir: opts.snapshotDir } : {}) });
  await app.register(zoneRoutes, { ctx });
  await app.register(ruleRoutes, { ctx });
  await app.register(alertRoutes, { ctx, ...(hub ? { hub } : {}) });
  await app.register(alertStreamRoutes, {
    ctx,
    alertFeed: opts.alertFeed,
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
  });
  await app.register(presenceRoutes, { ctx });
  await app.register(deviceHealthRoutes, { ctx });
  await app.register(deviceUptimeRoutes, { ctx });
  await app.register(checkinRoutes, { ctx });
  if (opts.checkin) {
    await app.register(checkinPublicRoutes, { pool: opts.pool, tokenSecret: opts.checkin.tokenSecret, ...(opts.logger ? { logger: opts.logger } : {}) });
    await app.register(checkinRequestRoutes, { ctx, ...(opts.checkin.scheduler ? { scheduler: opts.checkin.scheduler } : {}) });
    await app.register(subjectContactRoutes, { ctx });
  }
  await app.register(trackRoutes, { ctx });
  await app.register(traceRoutes, { ctx });
  await app.register(dashboardRoutes, { ctx });
  await app.register(reportRoutes, { ctx });
  await app.register(officerRoutes, { ctx });
  await app.register(auditRoutes, { ctx });
  await app.register(cameraRoutes, { ctx, ...(opts.cameras ? { relay: opts.cameras } : {}) });
  if (opts.snapshotDir !== undefined) await app.register(snapshotRoutes, { ctx, snapshotDir: opts.snapshotDir });
  if (opts.notifications) {
    await app.register(notificationRoutes, {
      pool: opts.pool,
      linkSecret: opts.notifications.linkSecret,
      ...(opts.notifications.inApp ? { inApp: opts.notifications.inApp } : {}),
      ...(hub ? { onAlertChange: (a) => hub.emit(a) } : {}),
      ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
      viewer: async (req) => (req.principal && req.principal.stage === 'full' ? { userId: req.principal.userId, role: req.principal.role, sites: (await scopeOf(ctx, req)).siteSet } : null),
    });
  }
  app.get('/api/openapi.json', { config: { auth: 'public' } }, async () => app.swagger());
  if (opts.publicDir !== undefined) await app.register(uiRoutes, { publicDir: opts.publicDir });
  return app;
}

function isHub(feed: AlertFeed): feed is AlertHub {
  return typeof (feed as Partial<AlertHub>).emit === 'function';
}

/** The query or body field an Ajv error is about: `/limit` -> `limit`, or the missing property. */
function validationField(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.validationContext ?? 'request';
  const params = first.params as { missingProperty?: string; additionalProperty?: string };
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = params.missingProperty ?? params.additionalProperty;
  return [path, extra].filter(Boolean).join('.') || err.validationContext || 'request';
}
