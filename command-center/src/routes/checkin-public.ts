import type { FastifyError, FastifyPluginAsync } from 'fastify';
import type { CheckinFix } from '@vigil/analytics';
import { CheckinError } from '../checkin/errors.js';
import { boundaryOf, parseMultipart, type FormPart } from '../checkin/multipart.js';
import { createCheckinService, type CheckinServiceOptions, type CheckinUpload } from '../checkin/service.js';

/** Options of `checkinPublicRoutes`: the service's (pool, `tokenSecret` — the same one `scheduleCheckins` is given —, runtime loader, thresholds, logger) and the upload's limits. */
export interface CheckinPublicRoutesOptions extends CheckinServiceOptions {
  /** Largest upload (selfie, frames and fields together); default 3 MiB. */
  maxUploadBytes?: number;
  /** Most frames after the prompt that are looked at; default 6. */
  maxFramesAfter?: number;
}

const TOKEN = '^[A-Za-z0-9_.-]{1,128}$';
const Params = { type: 'object', properties: { token: { type: 'string', pattern: TOKEN } }, required: ['token'], additionalProperties: false } as const;

/**
 * The subject's side of remote check-in; public (subjects are not users), the
 * signed single-use token in the link is the credential:
 * - `GET /api/checkin/:token` — the challenge to show and the deadline, or why the link cannot be used;
 * - `POST /api/checkin/:token` — `multipart/form-data`: `selfie` (JPEG, before the prompt),
 *   `after` (JPEG, repeated: frames while following the prompt), `lat`, `lon`, `acc_m`,
 *   `challenge` (the prompt shown). Answers `{ result, message }`, never the scores.
 * Problems with the link are 4xx with a code naming them (`VIGIL_CHECKIN_LINK_*`).
 */
export const checkinPublicRoutes: FastifyPluginAsync<CheckinPublicRoutesOptions> = async (app, opts) => {
  const service = createCheckinService(opts);
  const maxBytes = opts.maxUploadBytes ?? 3 * 1024 * 1024;
  const maxAfter = opts.maxFramesAfter ?? 6;

  // Only in this plugin: the rest of the API takes JSON.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: maxBytes }, (req, body, done) => {
    const boundary = boundaryOf(req.headers['content-type']);
    if (!boundary) return done(new CheckinError('VIGIL_CHECKIN_INPUT', 'no multipart boundary', 'body'));
    try {
      done(null, parseMultipart(body as Buffer, boundary, maxAfter + 8));
    } catch (err) {
      done(new CheckinError('VIGIL_CHECKIN_INPUT', (err as Error).message, 'body'));
    }
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof CheckinError) return reply.code(err.statusCode).send({ code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) });
    if (err.validation) return reply.code(400).send({ code: 'VIGIL_CHECKIN_LINK_INVALID', field: 'token', message: new CheckinError('VIGIL_CHECKIN_LINK_INVALID').message });
    if (err.statusCode === 413) return reply.code(413).send({ code: 'VIGIL_CHECKIN_INPUT', field: 'body', message: `upload larger than ${maxBytes} bytes / 上传内容过大` });
    if (err.statusCode === 415) return reply.code(415).send({ code: 'VIGIL_CHECKIN_INPUT', field: 'body', message: 'send multipart/form-data / 请以 multipart/form-data 上传' });
    req.log.error({ err }, 'check-in failed');
    return reply.code(500).send({ code: 'VIGIL_CC_INTERNAL', message: 'internal error / 内部错误' });
  });

  app.get<{ Params: { token: string } }>(
    '/api/checkin/:token',
    { config: { auth: 'public' }, schema: { tags: ['checkin'], summary: 'The challenge and deadline of a check-in link (subjects; the token is the credential)', security: [], params: Params } },
    async (req, reply) => {
      void reply.header('cache-control', 'no-store');
      return service.status(req.params.token, Date.now());
    },
  );

  app.post<{ Params: { token: string }; Body: FormPart[] }>(
    '/api/checkin/:token',
    {
      config: { auth: 'public' },
      bodyLimit: maxBytes,
      schema: { tags: ['checkin'], summary: 'Answer a check-in link: multipart selfie, after (repeated), lat, lon, acc_m, challenge', security: [], consumes: ['multipart/form-data'], params: Params },
    },
    async (req, reply) => {
      void reply.header('cache-control', 'no-store');
      if (!Array.isArray(req.body)) throw new CheckinError('VIGIL_CHECKIN_INPUT', 'send multipart/form-data', 'body');
      return service.submit(req.params.token, toUpload(req.body, maxAfter), Date.now());
    },
  );
};

/** The upload's fields, checked: one selfie, up to `maxAfter` frames, a whole GPS fix or none. */
function toUpload(parts: FormPart[], maxAfter: number): CheckinUpload {
  const field = (name: string) => parts.find((p) => p.name === name)?.data.toString('utf8').trim();
  const selfies = parts.filter((p) => p.name === 'selfie');
  if (selfies.length !== 1 || selfies[0]!.data.length === 0) throw new CheckinError('VIGIL_CHECKIN_INPUT', 'selfie: exactly one JPEG image is needed', 'selfie');
  const after = parts.filter((p) => p.name === 'after' && p.data.length > 0).map((p) => p.data);
  if (after.length > maxAfter) throw new CheckinError('VIGIL_CHECKIN_INPUT', `after: at most ${maxAfter} frames`, 'after');
  const challenge = field('challenge');
  return { selfie: selfies[0]!.data, after, ...fixOf(field('lat'), field('lon'), field('acc_m')), ...(challenge ? { challenge } : {}) };
}

function fixOf(lat: string | undefined, lon: string | undefined, acc: string | undefined): { fix?: CheckinFix } {
  if (!lat && !lon) return {};
  const num = (s: string | undefined, name: string, min: number, max: number): number => {
    const v = Number(s);
    if (s === undefined || s === '' || !Number.isFinite(v) || v < min || v > max) throw new CheckinError('VIGIL_CHECKIN_INPUT', `${name}: a number from ${min} to ${max}`, name);
    return v;
  };
  const fix: CheckinFix = { lat: num(lat, 'lat', -90, 90), lon: num(lon, 'lon', -180, 180) };
  if (acc) fix.acc_m = num(acc, 'acc_m', 0, 100_000);
  return { fix };
}
