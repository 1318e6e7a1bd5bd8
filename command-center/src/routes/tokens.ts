import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Uuid } from '@vigil/schemas';
import { allows, PERMISSIONS, type Permission } from '../access/roles.js';
import { principalOf, type AppContext } from '../context.js';
import { CommandCenterError, notFound } from '../errors.js';
import { issueApiToken, listApiTokens, revokeApiToken } from '../auth/api-tokens.js';

/** Longest life of an API token. */
export const MAX_TOKEN_DAYS = 365;

const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  created_ts: Type.Number(),
  expires_ts: Type.Number(),
  last_used_ts: Type.Union([Type.Number(), Type.Null()]),
  revoked: Type.Boolean(),
});
const NewToken = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    scopes: Type.Array(Type.Unsafe<Permission>({ type: 'string', enum: [...PERMISSIONS] }), { minItems: 1, maxItems: PERMISSIONS.length, uniqueItems: true }),
    expires_in_days: Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS }),
  },
  { additionalProperties: false },
);
type NewToken = Static<typeof NewToken>;

/**
 * API tokens for machine clients: each acts as the user who made it, narrowed to
 * its scopes (a subset of the user's permissions), until it expires or is revoked.
 * The secret is shown once; only its SHA-256 is kept. Only a signed-in person manages them.
 */
export const tokenRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  const sessionOnly = (via: string): void => {
    if (via !== 'session') throw new CommandCenterError('VIGIL_CC_FORBIDDEN', 'API tokens are managed by a signed-in user, not by a token / 令牌只能由登录用户管理');
  };

  app.get('/api/tokens', { schema: { tags: ['tokens'], response: { 200: Type.Object({ tokens: Type.Array(TokenInfo) }) } } }, async (req) => {
    const p = principalOf(req);
    sessionOnly(p.via);
    return { tokens: await listApiTokens(ctx.pool, p.userId) };
  });

  app.post<{ Body: NewToken }>(
    '/api/tokens',
    { schema: { tags: ['tokens'], body: NewToken, response: { 201: Type.Object({ id: Type.String(), token: Type.String(), expires_ts: Type.Number() }) } } },
    async (req, reply) => {
      const p = principalOf(req);
      sessionOnly(p.via);
      const bad = req.body.scopes.find((s) => !allows(p.role, s));
      if (bad) throw new CommandCenterError('VIGIL_CC_VALIDATION', `scopes: ${bad} is not a permission of your role / 超出您角色的权限`, 'scopes');
      const expiresAt = new Date(Date.now() + req.body.expires_in_days * 86_400_000);
      const { id, token } = await issueApiToken(ctx.pool, { userId: p.userId, name: req.body.name, scopes: req.body.scopes, expiresAt });
      await ctx.audit(req, { action: 'tokens.create', resource: `api_tokens/${id}`, detail: { name: req.body.name, scopes: req.body.scopes, expires: expiresAt.toISOString() } });
      return reply.code(201).send({ id, token, expires_ts: expiresAt.getTime() });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    { schema: { tags: ['tokens'], params: Type.Object({ id: Uuid }, { additionalProperties: false }) } },
    async (req, reply) => {
      const p = principalOf(req);
      sessionOnly(p.via);
      if (!(await revokeApiToken(ctx.pool, p.userId, req.params.id))) throw notFound('token');
      await ctx.audit(req, { action: 'tokens.revoke', resource: `api_tokens/${req.params.id}` });
      return reply.code(204).send();
    },
  );
};
