import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { subjectPhone } from '../checkin/sms-sender.js';
import { principalOf, scopeOf, type AppContext } from '../context.js';
import { notFound } from '../errors.js';
import { IdParams } from './common.js';
import { scopedSubject } from './subjects.js';

/** A mobile number, digits with an optional leading +, as the SMS gateway takes it (and migration 038 checks). */
const Phone = Type.String({ pattern: '^\\+?[0-9]{5,20}$', description: 'mobile number, e.g. +8613800138000' });
const ContactBody = Type.Object({ phone: Phone }, { additionalProperties: false });
const Contact = Type.Object({ subject: Type.String(), phone: Type.Union([Phone, Type.Null()]) });

/**
 * A subject's mobile number for remote check-in (`subject_contacts`, migration 038):
 * - `GET /api/subjects/:id/contact` — the number on record (null if none);
 * - `PUT /api/subjects/:id/contact` `{ phone }` — set it;
 * - `DELETE /api/subjects/:id/contact` — remove it.
 * Only for those who run check-ins (`checkins.review`), within their scope (an officer:
 * their own subjects); 404 outside it. Every read and change is audited; the number
 * itself is not written to the audit trail.
 */
export const subjectContactRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  async function ownSubject(req: FastifyRequest<{ Params: IdParams }>, action: string): Promise<string> {
    const found = await scopedSubject(ctx, await scopeOf(ctx, req), req.params.id);
    if (!found) {
      await ctx.audit(req, { action, resource: `subjects/${req.params.id}/contact`, outcome: 'denied', detail: { reason: 'not_in_scope' } });
      throw notFound('subject');
    }
    return found.id;
  }
  const schema = { tags: ['subjects'], params: IdParams };

  app.get<{ Params: IdParams }>('/api/subjects/:id/contact', { config: { permission: 'checkins.review' }, schema: { ...schema, response: { 200: Contact } } }, async (req) => {
    const id = await ownSubject(req, 'subjects.contact.read');
    const phone = await subjectPhone(ctx.pool, id);
    await ctx.audit(req, { action: 'subjects.contact.read', resource: `subjects/${id}/contact`, detail: { on_record: phone !== null } });
    return { subject: id, phone };
  });

  app.put<{ Params: IdParams; Body: Static<typeof ContactBody> }>(
    '/api/subjects/:id/contact',
    { config: { permission: 'checkins.review' }, schema: { ...schema, body: ContactBody, response: { 200: Contact } } },
    async (req) => {
      const id = await ownSubject(req, 'subjects.contact.update');
      await ctx.pool.query(
        `INSERT INTO subject_contacts (subject_id, phone, updated_by) VALUES ($1, $2, $3)
         ON CONFLICT (subject_id) DO UPDATE SET phone = EXCLUDED.phone, updated_by = EXCLUDED.updated_by, updated_at = now()`,
        [id, req.body.phone, principalOf(req).userId],
      );
      await ctx.audit(req, { action: 'subjects.contact.update', resource: `subjects/${id}/contact` });
      return { subject: id, phone: req.body.phone };
    },
  );

  app.delete<{ Params: IdParams }>('/api/subjects/:id/contact', { config: { permission: 'checkins.review' }, schema }, async (req, reply) => {
    const id = await ownSubject(req, 'subjects.contact.delete');
    await ctx.pool.query('DELETE FROM subject_contacts WHERE subject_id = $1', [id]);
    await ctx.audit(req, { action: 'subjects.contact.delete', resource: `subjects/${id}/contact` });
    return reply.code(204).send();
  });
};
