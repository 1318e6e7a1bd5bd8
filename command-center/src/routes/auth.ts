import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ROLE_PERMISSIONS } from '../access/roles.js';
import { principalOf, type AppContext } from '../context.js';
import { CommandCenterError } from '../errors.js';
import { SESSION_COOKIE } from '../auth/hook.js';
import { burnVerify, verifyPassword } from '../auth/passwords.js';
import { createSession, endSession, promoteSession } from '../auth/sessions.js';
import { checkTotp, newTotpSecret } from '../auth/totp.js';
import { findUserById, findUserByName, recordLoginFailure, recordLoginSuccess, setPassword, type UserRecord } from '../auth/users.js';

const TotpCode = Type.String({ pattern: '^[0-9]{6}$', description: 'six-digit TOTP code' });
const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    totp: Type.Optional(TotpCode),
  },
  { additionalProperties: false },
);
type LoginBody = Static<typeof LoginBody>;
const CodeBody = Type.Object({ code: TotpCode }, { additionalProperties: false });
type CodeBody = Static<typeof CodeBody>;
const PasswordBody = Type.Object(
  { current: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
type PasswordBody = Static<typeof PasswordBody>;

/** What login and the session routes answer: the stage, and what the client must do next. */
export const SessionState = Type.Object({
  stage: Type.Union([Type.Literal('mfa'), Type.Literal('full')]),
  /** `totp`: give the code; `enrol`: the role requires a second factor and none is enrolled yet. */
  next: Type.Union([Type.Literal('totp'), Type.Literal('enrol'), Type.Null()]),
  user: Type.Object({
    id: Type.String(),
    username: Type.String(),
    display_name: Type.String(),
    role: Type.String(),
    org_unit: Type.String(),
    totp_enabled: Type.Boolean(),
  }),
  permissions: Type.Array(Type.String()),
});

const INVALID = 'invalid user name, password or code / 用户名、密码或验证码错误';

/**
 * Sign in and out: password (Argon2id), then TOTP where enrolled or required,
 * lockout after `lockoutThreshold` failures, every success, failure, lockout and logout audited.
 */
export const authRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const sec = ctx.security;
  // Sign-ins, logouts and changes to users alter sessions: drop the cached ones once the change is made.
  app.addHook('onResponse', async (req) => {
    if (req.method !== 'GET') ctx.forgetSessions();
  });
  const mustEnrol = (u: UserRecord): boolean => !u.totp_enabled && sec.totpRequiredRoles.includes(u.role);
  const sessionState = (u: UserRecord, stage: 'mfa' | 'full') => ({
    stage,
    next: stage === 'full' ? null : u.totp_enabled ? ('totp' as const) : ('enrol' as const),
    user: { id: u.id, username: u.username, display_name: u.display_name, role: u.role, org_unit: u.org_unit, totp_enabled: u.totp_enabled },
    permissions: [...ROLE_PERMISSIONS[u.role]],
  });

  const fail = async (req: FastifyRequest, u: UserRecord | null, reason: string, username: string): Promise<never> => {
    let locked = false;
    if (u) locked = await recordLoginFailure(ctx.pool, u.id, sec.lockoutThreshold, sec.lockoutMs);
    await ctx.audit(req, { actor: u?.id ?? 'anonymous', action: 'auth.login', resource: u ? `users/${u.id}` : 'users', outcome: 'failed', detail: { username, reason } });
    if (locked) {
      await ctx.audit(req, { actor: u!.id, action: 'auth.lockout', resource: `users/${u!.id}`, outcome: 'denied', detail: { lock_ms: sec.lockoutMs } });
    }
    throw new CommandCenterError('VIGIL_CC_UNAUTHENTICATED', INVALID);
  };

  const setCookie = (reply: FastifyReply, token: string): void => {
    void reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: sec.cookieSecure, path: '/' });
  };

  app.post<{ Body: LoginBody }>(
    '/api/auth/login',
    {
      config: { auth: 'public', rateLimit: { max: sec.loginRateLimitPerAddress, timeWindow: 60_000 } },
      schema: { tags: ['auth'], body: LoginBody, response: { 200: SessionState } },
    },
    async (req, reply) => {
      const { username, password, totp } = req.body;
      const user = await findUserByName(ctx.pool, username);
      if (!user || user.disabled) {
        await burnVerify(password); // a missing user takes as long as a wrong password
        return fail(req, null, 'unknown_user', username);
      }
      if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
        await ctx.audit(req, { actor: user.id, action: 'auth.login', resource: `users/${user.id}`, outcome: 'denied', detail: { username, reason: 'locked' } });
        throw new CommandCenterError('VIGIL_CC_LOCKED', `account locked until ${user.lockedUntil.toISOString()} / 账户已锁定`);
      }
      if (!(await verifyPassword(user.passwordHash, password))) return fail(req, user, 'bad_password', username);
      let step: number | null = null;
      let stage: 'mfa' | 'full' = 'full';
      if (user.totp_enabled) {
        if (totp === undefined) stage = 'mfa';
        else {
          step = await checkTotp(user.totpSecret!, totp, user.totpLastStep);
          if (step === null) return fail(req, user, 'bad_totp', username);
        }
      } else if (mustEnrol(user)) stage = 'mfa';
      if (stage === 'full') await recordLoginSuccess(ctx.pool, user.id, step);
      const token = await createSession(ctx.pool, { userId: user.id, stage, maxMs: sec.sessionMaxMs, ip: req.ip, userAgent: req.headers['user-agent'] });
      setCookie(reply, token);
      await ctx.audit(req, {
        actor: user.id,
        action: stage === 'full' ? 'auth.login' : 'auth.password_ok',
        resource: `users/${user.id}`,
        detail: { username, via: 'password', totp: step !== null, next: stage === 'full' ? null : user.totp_enabled ? 'totp' : 'enrol' },
      });
      return sessionState(user, stage);
    },
  );

  const currentUser = async (req: FastifyRequest): Promise<UserRecord> => {
    const user = await findUserById(ctx.pool, principalOf(req).userId);
    if (!user) throw new CommandCenterError('VIGIL_CC_UNAUTHENTICATED', 'sign in first / 请先登录');
    return user;
  };

  app.post<{ Body: CodeBody }>(
    '/api/auth/totp',
    { config: { auth: 'mfa', rateLimit: { max: sec.loginRateLimitPerAddress, timeWindow: 60_000 } }, schema: { tags: ['auth'], body: CodeBody, response: { 200: SessionState } } },
    async (req) => {
      const p = principalOf(req);
      const user = await currentUser(req);
      if (p.stage === 'full') return sessionState(user, 'full');
      if (!user.totp_enabled) throw new CommandCenterError('VIGIL_CC_MFA_REQUIRED', 'enrol a second factor first / 请先绑定第二重身份验证');
      if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) throw new CommandCenterError('VIGIL_CC_LOCKED', 'account locked / 账户已锁定');
      const step = await checkTotp(user.totpSecret!, req.body.code, user.totpLastStep);
      if (step === null) {
        await endSessionIfLocked(req, user);
        return fail(req, user, 'bad_totp', user.username);
      }
      await recordLoginSuccess(ctx.pool, user.id, step);
      await promoteSession(ctx.pool, p.sessionHash!);
      ctx.forgetSessions();
      await ctx.audit(req, { action: 'auth.login', resource: `users/${user.id}`, detail: { username: user.username, via: 'password', totp: true } });
      return sessionState(user, 'full');
    },
  );

  // A session still owing its second factor is ended when the account locks, so it cannot keep guessing.
  const endSessionIfLocked = async (req: FastifyRequest, user: UserRecord): Promise<void> => {
    if (user.failedLogins + 1 >= sec.lockoutThreshold && req.principal?.sessionHash) {
      await endSession(ctx.pool, req.principal.sessionHash);
      ctx.forgetSessions();
    }
  };

  app.post(
    '/api/auth/totp/enrol',
    {
      config: { auth: 'mfa' },
      schema: { tags: ['auth'], response: { 200: Type.Object({ secret: Type.String(), uri: Type.String() }) } },
    },
    async (req) => {
      const user = await currentUser(req);
      if (user.totp_enabled) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'a second factor is already enrolled / 已绑定第二重身份验证');
      const { secret, uri } = newTotpSecret(user.username);
      await ctx.pool.query('UPDATE users SET totp_secret = $2 WHERE id = $1 AND NOT totp_enabled', [user.id, secret]);
      await ctx.audit(req, { action: 'auth.totp_enrol', resource: `users/${user.id}`, detail: { step: 'secret_issued' } });
      return { secret, uri };
    },
  );

  app.post<{ Body: CodeBody }>(
    '/api/auth/totp/confirm',
    { config: { auth: 'mfa', rateLimit: { max: sec.loginRateLimitPerAddress, timeWindow: 60_000 } }, schema: { tags: ['auth'], body: CodeBody, response: { 200: SessionState } } },
    async (req) => {
      const p = principalOf(req);
      const user = await currentUser(req);
      if (user.totp_enabled || !user.totpSecret) throw new CommandCenterError('VIGIL_CC_CONFLICT', 'nothing to confirm: call /api/auth/totp/enrol first / 请先获取绑定密钥');
      const step = await checkTotp(user.totpSecret, req.body.code, null);
      if (step === null) {
        await ctx.audit(req, { action: 'auth.totp_enrol', resource: `users/${user.id}`, outcome: 'failed', detail: { step: 'confirm' } });
        throw new CommandCenterError('VIGIL_CC_VALIDATION', 'code: does not match the new secret / 验证码与新密钥不符', 'code');
      }
      await ctx.pool.query('UPDATE users SET totp_enabled = true, totp_last_step = $2 WHERE id = $1', [user.id, step]);
      await recordLoginSuccess(ctx.pool, user.id, step);
      if (p.sessionHash) await promoteSession(ctx.pool, p.sessionHash);
      ctx.forgetSessions();
      await ctx.audit(req, { action: 'auth.totp_enrol', resource: `users/${user.id}`, detail: { step: 'confirmed' } });
      if (p.stage === 'mfa') await ctx.audit(req, { action: 'auth.login', resource: `users/${user.id}`, detail: { username: user.username, via: 'password', totp: true } });
      return sessionState({ ...user, totp_enabled: true }, 'full');
    },
  );

  app.post('/api/auth/logout', { config: { auth: 'mfa' }, schema: { tags: ['auth'] } }, async (req, reply) => {
    const p = principalOf(req);
    if (p.sessionHash) await endSession(ctx.pool, p.sessionHash);
    ctx.forgetSessions();
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    await ctx.audit(req, { action: 'auth.logout', resource: `users/${p.userId}` });
    return reply.code(204).send();
  });

  app.get('/api/auth/me', { config: { auth: 'mfa' }, schema: { tags: ['auth'], response: { 200: SessionState } } }, async (req) => {
    const p = principalOf(req);
    const user = await currentUser(req);
    const state = sessionState(user, p.stage);
    return p.scopes ? { ...state, permissions: state.permissions.filter((x) => p.scopes!.includes(x)) } : state;
  });

  app.post<{ Body: PasswordBody }>(
    '/api/auth/password',
    { config: { rateLimit: { max: sec.loginRateLimitPerAddress, timeWindow: 60_000 } }, schema: { tags: ['auth'], body: PasswordBody } },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.via !== 'session') throw new CommandCenterError('VIGIL_CC_FORBIDDEN', 'only a signed-in user may change their password / 仅登录用户可修改密码');
      const user = await currentUser(req);
      if (!(await verifyPassword(user.passwordHash, req.body.current))) {
        await ctx.audit(req, { action: 'auth.password_change', resource: `users/${user.id}`, outcome: 'failed', detail: { reason: 'bad_current' } });
        throw new CommandCenterError('VIGIL_CC_VALIDATION', 'current: wrong password / 当前密码错误', 'current');
      }
      await setPassword(ctx.pool, user, req.body.password);
      ctx.forgetSessions();
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      await ctx.audit(req, { action: 'auth.password_change', resource: `users/${user.id}` });
      return reply.code(204).send();
    },
  );

};
