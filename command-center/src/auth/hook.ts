import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allows } from '../access/roles.js';
import type { AppContext, Principal } from '../context.js';
import { CommandCenterError } from '../errors.js';
import { findApiToken } from './api-tokens.js';
import { endSession, findSession, touchSession, type SessionInfo } from './sessions.js';

/** Name of the session cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'vigil_session';

/**
 * Authenticate every `/api/` request before its body or query is even validated:
 * a session cookie or an `Authorization: Bearer vgt_...` API token, then the
 * route's permission for the role (and the token's scopes), then the per-user rate limit.
 * Anything outside `/api/` (the UI's files) is public.
 */
export function installAuth(
  app: FastifyInstance,
  ctx: AppContext,
  cache: Map<string, { at: number; session: SessionInfo }>,
  perUserLimit: (req: FastifyRequest) => Promise<{ isExceeded?: boolean; ttlInSeconds?: number }>,
): void {
  app.decorateRequest('principal', null);
  const touchEveryMs = Math.min(30_000, Math.max(250, Math.floor(ctx.security.sessionIdleMs / 4)));

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    // `/m/<token>` (a notification's deep link) is a page, but needs to know who opens it
    if (!req.url.startsWith('/api/') && !req.url.startsWith('/m/')) return;
    const config = req.routeOptions.config;
    const principal = await authenticate(req);
    req.principal = principal;
    if (config.auth === 'public') return;
    if (!principal) throw new CommandCenterError('VIGIL_CC_UNAUTHENTICATED', 'sign in first / 请先登录');
    if (principal.stage === 'mfa' && config.auth !== 'mfa') {
      throw new CommandCenterError('VIGIL_CC_MFA_REQUIRED', 'second factor required / 需要第二重身份验证');
    }
    const limit = await perUserLimit(req);
    if (limit.isExceeded) {
      void reply.header('retry-after', String(limit.ttlInSeconds ?? 60));
      throw new CommandCenterError('VIGIL_CC_RATE_LIMITED', 'too many requests / 请求过多');
    }
    if (config.permission && !allows(principal.role, config.permission, principal.scopes)) {
      await ctx.audit(req, { action: config.permission, resource: req.routeOptions.url ?? req.url, outcome: 'denied', detail: { method: req.method, reason: 'role' } });
      throw new CommandCenterError('VIGIL_CC_FORBIDDEN', `not allowed for role ${principal.role} / 当前角色无此权限`);
    }
  });

  async function authenticate(req: FastifyRequest): Promise<Principal | null> {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer (\S+)$/.exec(auth);
      const token = m ? await findApiToken(ctx.pool, m[1]!) : null;
      if (!token) throw new CommandCenterError('VIGIL_CC_UNAUTHENTICATED', 'invalid or expired API token / API 令牌无效或已过期');
      return { userId: token.userId, username: token.username, role: token.role, orgUnitId: token.orgUnitId, via: 'token', stage: 'full', tokenId: token.id, scopes: token.scopes };
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (!cookie) return null;
    const now = Date.now();
    const hit = cache.get(cookie);
    const s = hit && now - hit.at < ctx.security.sessionCacheMs ? hit.session : await findSession(ctx.pool, cookie);
    if (!s) {
      cache.delete(cookie);
      return null;
    }
    if (!hit || hit.session !== s) {
      if (cache.size > 10_000) cache.clear();
      cache.set(cookie, { at: now, session: s });
    }
    if (now - s.lastSeenAt > ctx.security.sessionIdleMs || now > s.expiresAt) {
      cache.delete(cookie);
      await endSession(ctx.pool, s.tokenHash);
      await ctx.audit(req, { actor: s.userId, action: 'auth.timeout', resource: `users/${s.userId}`, detail: { idle_ms: now - s.lastSeenAt } });
      return null;
    }
    if (now - s.lastSeenAt > touchEveryMs) {
      await touchSession(ctx.pool, s.tokenHash);
      s.lastSeenAt = now;
    }
    return { userId: s.userId, username: s.username, role: s.role, orgUnitId: s.orgUnitId, via: 'session', stage: s.stage, sessionHash: s.tokenHash };
  }
}
