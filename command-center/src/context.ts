import type { FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import type { Permission, Role } from './access/roles.js';
import type { Scope, ScopeCache } from './access/scope.js';
import { appendAudit, type AuditEntry } from './audit.js';
import { CommandCenterError } from './errors.js';

/** Security settings of the app; every one has a default (`DEFAULT_SECURITY`). */
export interface SecurityOptions {
  /** A session with no request for this long ends (idle timeout). */
  sessionIdleMs: number;
  /** A session ends this long after login whatever happens. */
  sessionMaxMs: number;
  /** Failed logins in a row that lock an account, and for how long. */
  lockoutThreshold: number;
  lockoutMs: number;
  /** Roles that must have a second factor (TOTP); others may enrol one. */
  totpRequiredRoles: readonly Role[];
  /** Set the Secure attribute on the session cookie (behind HTTPS). */
  cookieSecure: boolean;
  /** Requests per minute per signed-in user, per client address, and login attempts per address. */
  rateLimitPerUser: number;
  rateLimitPerAddress: number;
  loginRateLimitPerAddress: number;
  /** Largest request body. */
  bodyLimitBytes: number;
  /** How long a user's scope is cached (a change to the tree or an assignment shows within this). */
  scopeCacheMs: number;
  /**
   * How long a looked-up session is reused without asking the database again. Logout, a new
   * password or a change of role in this process take effect at once; in another command-centre
   * process within this time.
   */
  sessionCacheMs: number;
}

export const DEFAULT_SECURITY: SecurityOptions = {
  sessionIdleMs: 15 * 60_000,
  sessionMaxMs: 12 * 3_600_000,
  lockoutThreshold: 5,
  lockoutMs: 15 * 60_000,
  totpRequiredRoles: ['administrator'],
  cookieSecure: false,
  rateLimitPerUser: 1200,
  rateLimitPerAddress: 3000,
  loginRateLimitPerAddress: 20,
  bodyLimitBytes: 256 * 1024,
  scopeCacheMs: 5000,
  sessionCacheMs: 2000,
};

/** Who is making a request. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  orgUnitId: string;
  via: 'session' | 'token';
  stage: 'mfa' | 'full';
  sessionHash?: string;
  tokenId?: string;
  /** An API token's scopes (permissions); undefined for a session. */
  scopes?: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** `public`: no session needed; `mfa`: a session still owing its second factor may call it. */
    auth?: 'public' | 'mfa';
    /** The permission the route needs (roles.ts). */
    permission?: Permission;
  }
}

/** What every route plugin gets. */
export interface AppContext {
  pool: Pool;
  scopes: ScopeCache;
  /** Forget every cached session (after logout, a password or role change, a second factor given). */
  forgetSessions(): void;
  security: SecurityOptions;
  /** Append to the audit trail as the request's user, from the request's address. */
  audit(req: FastifyRequest, entry: Omit<AuditEntry, 'actor' | 'ip'> & { actor?: string }): Promise<void>;
}

/** The signed-in principal, or a 401. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new CommandCenterError('VIGIL_CC_UNAUTHENTICATED', 'sign in first / 请先登录');
  return req.principal;
}

/** The request user's scope. */
export function scopeOf(ctx: AppContext, req: FastifyRequest): Promise<Scope> {
  const p = principalOf(req);
  return ctx.scopes.get({ id: p.userId, role: p.role, orgUnitId: p.orgUnitId });
}

export function makeContext(pool: Pool, scopes: ScopeCache, security: SecurityOptions, forgetSessions: () => void = () => {}): AppContext {
  return {
    pool,
    scopes,
    forgetSessions,
    security,
    audit(req, entry) {
      return appendAudit(pool, { ...entry, actor: entry.actor ?? req.principal?.userId ?? 'anonymous', ip: req.ip });
    },
  };
}
