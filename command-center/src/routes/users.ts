import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';
import { ROLES, type Role } from '../access/roles.js';
import { principalOf, scopeOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { createUser, findUserById, publicUser, setPassword, type UserRecord } from '../auth/users.js';
import { IdParams } from './common.js';

const RoleParam = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });
const PublicUser = Type.Object({
  id: Type.String(),
  username: Type.String(),
  display_name: Type.String(),
  role: Type.String(),
  org_unit: Type.String(),
  totp_enabled: Type.Boolean(),
  locked_until: Type.Union([Type.Number(), Type.Null()]),
  disabled: Type.Boolean(),
});
const NewUser = Type.Object(
  {
    id: Id,
    username: Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }),
    display_name: Type.String({ minLength: 1, maxLength: 128 }),
    role: RoleParam,
    org_unit: Id,
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
type NewUser = Static<typeof NewUser>;
const UserPatch = Type.Object(
  {
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    role: Type.Optional(RoleParam),
    org_unit: Type.Optional(Id),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
type UserPatch = Static<typeof UserPatch>;
const PasswordReset = Type.Object({ password: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });
type PasswordReset = Static<typeof PasswordReset>;

/**
 * Users of the administrator's subtree: create (password rules), change role, unit or
 * disable, reset password, unlock, reset the second factor. Nobody changes their own role
 * or disables themselves, and nobody creates or moves a user outside their own subtree.
 */
export const userRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  // Sign-ins, logouts and changes to users alter sessions: drop the cached ones once the change is made.
  app.addHook('onResponse', async (req) => {
    if (req.method !== 'GET') ctx.forgetSessions();
  });
  /** The user if their unit is in the caller's subtree; 404 otherwise. */
  const scopedUser = async (req: FastifyRequest, id: string): Promise<UserRecord> => {
    const scope = await scopeOf(ctx, req);
    const user = await findUserById(ctx.pool, id);
    if (!user || !scope.units.includes(user.org_unit)) {
      await ctx.audit(req, { action: 'users.read', resource: `users/${id}`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
      throw notFound('user');
    }
    return user;
  };
  const checkUnit = async (req: FastifyRequest, unit: string): Promise<void> => {
    const scope = await scopeOf(ctx, req);
    if (!scope.units.includes(unit)) throw new CommandCenterError('VIGIL_CC_VALIDATION', 'org_unit: not a unit you manage / 不是您管理的单位', 'org_unit');
  };

  app.get('/api/users', { config: { permission: 'users.read' }, schema: { tags: ['users'], response: { 200: Type.Object({ users: Type.Array(PublicUser) }) } } }, async (req) => {
    const scope = await scopeOf(ctx, req);
    const { rows } = await ctx.pool.query<{ id: string }>('SELECT id FROM users WHERE org_unit_id = ANY($1) ORDER BY id', [scope.units]);
    const users: UserRecord[] = [];
    for (const r of rows) {
      const u = await findUserById(ctx.pool, r.id);
      if (u) users.push(u);
    }
    await ctx.audit(req, { action: 'users.list', resource: 'users', detail: { returned: users.length } });
    return { users: users.map(publicUser) };
  });

  app.get<{ Params: IdParams }>('/api/users/:id', { config: { permission: 'users.read' }, schema: { tags: ['users'], params: IdParams, response: { 200: PublicUser } } }, async (req) => {
    const user = await scopedUser(req, req.params.id);
    await ctx.audit(req, { action: 'users.read', resource: `users/${user.id}` });
    return publicUser(user);
  });

  app.post<{ Body: NewUser }>('/api/users', { config: { permission: 'users.write' }, schema: { tags: ['users'], body: NewUser, response: { 201: PublicUser } } }, async (req, reply) => {
    const b = req.body;
    await checkUnit(req, b.org_unit);
    await createUser(ctx.pool, { id: b.id, username: b.username, displayName: b.display_name, role: b.role, orgUnitId: b.org_unit, password: b.password });
    await ctx.audit(req, { action: 'users.create', resource: `users/${b.id}`, detail: { username: b.username, role: b.role, org_unit: b.org_unit } });
    return reply.code(201).send(publicUser((await findUserById(ctx.pool, b.id))!));
  });

  app.patch<{ Params: IdParams; Body: UserPatch }>(
    '/api/users/:id',
    { config: { permission: 'users.write' }, schema: { tags: ['users'], params: IdParams, body: UserPatch, response: { 200: PublicUser } } },
    async (req) => {
      const user = await scopedUser(req, req.params.id);
      const b = req.body;
      if (user.id === principalOf(req).userId && (b.role !== undefined || b.disabled === true || b.org_unit !== undefined)) {
        throw new CommandCenterError('VIGIL_CC_FORBIDDEN', 'you cannot change your own role, unit or access / 不能修改自己的角色、单位或状态');
      }
      if (b.org_unit !== undefined) await checkUnit(req, b.org_unit);
      await ctx.pool.query(
        `UPDATE users SET display_name = COALESCE($2, display_name), role = COALESCE($3, role), org_unit_id = COALESCE($4, org_unit_id),
                disabled_at = CASE WHEN $5::boolean IS NULL THEN disabled_at WHEN $5 THEN COALESCE(disabled_at, now()) ELSE NULL END
          WHERE id = $1`,
        [user.id, b.display_name ?? null, b.role ?? null, b.org_unit ?? null, b.disabled ?? null],
      );
      // A change of role, unit or access ends the user's sessions: they sign in again with the new rights.
      if (b.role !== undefined || b.org_unit !== undefined || b.disabled === true) {
        await ctx.pool.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [user.id]);
        ctx.forgetSessions();
      }
      ctx.scopes.clear();
      await ctx.audit(req, { action: 'users.update', resource: `users/${user.id}`, detail: { ...b } });
      return publicUser((await findUserById(ctx.pool, user.id))!);
    },
  );

  app.post<{ Params: IdParams; Body: PasswordReset }>(
    '/api/users/:id/password',
    { config: { permission: 'users.write' }, schema: { tags: ['users'], params: IdParams, body: PasswordReset } },
    async (req, reply) => {
      const user = await scopedUser(req, req.params.id);
      await setPassword(ctx.pool, user, req.body.password);
      ctx.forgetSessions();
      await ctx.audit(req, { action: 'users.password_reset', resource: `users/${user.id}` });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: IdParams }>('/api/users/:id/unlock', { config: { permission: 'users.write' }, schema: { tags: ['users'], params: IdParams } }, async (req, reply) => {
    const user = await scopedUser(req, req.params.id);
    await ctx.pool.query('UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1', [user.id]);
    await ctx.audit(req, { action: 'users.unlock', resource: `users/${user.id}` });
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams }>('/api/users/:id/totp/reset', { config: { permission: 'users.write' }, schema: { tags: ['users'], params: IdParams } }, async (req, reply) => {
    const user = await scopedUser(req, req.params.id);
    await ctx.pool.query('UPDATE users SET totp_secret = NULL, totp_enabled = false, totp_last_step = NULL WHERE id = $1', [user.id]);
    await ctx.pool.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [user.id]);
        ctx.forgetSessions();
    await ctx.audit(req, { action: 'users.totp_reset', resource: `users/${user.id}` });
    return reply.code(204).send();
  });
};
