import type { Pool } from 'pg';
import {
  checkinMessage,
  decodeJpeg,
  DEFAULT_CHECKIN_THRESHOLDS,
  DEFAULT_HEAD_TURN,
  judgeCheckin,
  judgeHeadTurn,
  loadRuntime,
  loadTemplates,
  recordCheckin,
  type CheckinFix,
  type CheckinThresholds,
  type HeadTurn,
  type HeadTurnThresholds,
  type RgbFrame,
  type VisionRuntime,
} from '@vigil/analytics';
import type { Logger } from '../logger.js';
import { CheckinError } from './errors.js';
import { claimRequest, finishRequest, findRequest, releaseRequest, type CheckinRequest } from './requests.js';
import { verifyCheckinToken } from './token.js';

/** Options of `createCheckinService`. */
export interface CheckinServiceOptions {
  pool: Pool;
  /** The secret the links were signed with (the scheduler's). */
  tokenSecret: Buffer;
  /** Loads the vision runtime, once, on the first check-in; default `loadRuntime({ body: false })` (face models only). */
  loadRuntime?: () => Promise<VisionRuntime>;
  /** Face match, anti-spoofing and liveness thresholds; defaults in `DEFAULT_CHECKIN_THRESHOLDS`. */
  thresholds?: Partial<CheckinThresholds>;
  /** The head-turn challenge; defaults in `DEFAULT_HEAD_TURN`. */
  headTurn?: Partial<HeadTurnThresholds>;
  logger?: Logger;
}

/** What the phone sends. */
export interface CheckinUpload {
  /** The selfie taken before the prompt (JPEG). */
  selfie: Uint8Array;
  /** Frames taken while the subject follows the prompt (JPEG). */
  after: Uint8Array[];
  fix?: CheckinFix;
  /** The challenge the page showed (it must be the request's). */
  challenge?: string;
}

/** The subject's answer: never the scores (the officer sees those in the review queue). */
export interface CheckinAnswer {
  result: 'pass' | 'fail' | 'review';
  message: { en: string; 'zh-CN': string };
}

/** What the page needs to know before it opens the camera. */
export interface CheckinStatus {
  challenge: HeadTurn;
  due_ts: number;
  expires_ts: number;
}

const ANSWER: Record<CheckinAnswer['result'], CheckinAnswer['message']> = {
  pass: { en: 'Check-in received. Thank you.', 'zh-CN': '签到成功，谢谢。' },
  review: { en: 'Check-in received. An officer will look at it; you need do nothing more now.', 'zh-CN': '已收到签到，将由工作人员审核，您暂时无需其他操作。' },
  fail: {
    en: 'Check-in not accepted: your face could not be confirmed. Your officer has been told and may contact you.',
    'zh-CN': '签到未通过：无法确认您的面部。已通知您的矫正工作人员，可能会与您联系。',
  },
};

/** The check-in service: token checks, judging, recording. */
export interface CheckinService {
  status(token: string, nowMs: number): Promise<CheckinStatus>;
  submit(token: string, upload: CheckinUpload, nowMs: number): Promise<CheckinAnswer>;
}

/**
 * Answer check-in links: a valid, unexpired, unused token; the selfie judged
 * 1:1 against the subject's template with anti-spoofing and liveness scores
 * (`judgeCheckin`), then the head-turn challenge (`judgeHeadTurn`) on the
 * frames after the prompt — a pass whose challenge was not met becomes a
 * review. Recorded with `recordCheckin` (anything but a pass goes to the
 * officers' review queue) and beside the request.
 */
export function createCheckinService(opts: CheckinServiceOptions): CheckinService {
  const { pool } = opts;
  const thresholds: CheckinThresholds = { ...DEFAULT_CHECKIN_THRESHOLDS, ...opts.thresholds };
  const headTurn: HeadTurnThresholds = { ...DEFAULT_HEAD_TURN, ...opts.headTurn };
  const load = opts.loadRuntime ?? (() => loadRuntime({ body: false, ...(opts.logger ? { logger: opts.logger } : {}) }));
  let runtime: Promise<VisionRuntime> | undefined;
  // One load at a time; a failed load is tried again on the next check-in.
  const vision = (): Promise<VisionRuntime> => {
    runtime ??= load().catch((err: unknown) => {
      runtime = undefined;
      opts.logger?.error({ err }, 'vision runtime failed to load');
      throw new CheckinError('VIGIL_CHECKIN_UNAVAILABLE');
    });
    return runtime;
  };

  async function open(token: string, nowMs: number): Promise<CheckinRequest> {
    const { requestId } = verifyCheckinToken(opts.tokenSecret, token, nowMs);
    const req = await findRequest(pool, requestId);
    if (!req) throw new CheckinError('VIGIL_CHECKIN_LINK_UNKNOWN');
    if (req.usedTs !== null) throw new CheckinError('VIGIL_CHECKIN_LINK_USED');
    if (req.expiresTs <= nowMs) throw new CheckinError('VIGIL_CHECKIN_LINK_EXPIRED');
    return req;
  }

  async function judge(req: CheckinRequest, selfie: RgbFrame, after: RgbFrame[], upload: CheckinUpload, nowMs: number) {
    const [candidate] = await loadTemplates(pool, [req.subject]);
    if (!candidate) throw new CheckinError('VIGIL_CHECKIN_NOT_ENROLLED');
    if (!(await claimRequest(pool, req.id, nowMs))) throw new CheckinError('VIGIL_CHECKIN_LINK_USED');
    try {
      const rt = await vision();
      const body = await judgeCheckin(rt, req.subject, candidate.template, selfie, upload.fix, thresholds);
      const turn = body.result === 'fail' ? undefined : await judgeHeadTurn(rt, selfie, after, req.challenge, headTurn);
      if (turn && !turn.met) {
        body.result = 'review';
        body.reason = [body.reason, `liveness challenge ${req.challenge} not met: ${turn.reason ?? ''}`].filter(Boolean).join('; ').slice(0, 256);
      }
      const msg = checkinMessage(req.device, nowMs, body, nowMs);
      await recordCheckin(pool, req.site, msg);
      await finishRequest(pool, req.id, { result: body.result, msgId: msg.id, challengeMet: turn?.met ?? false, turnDeg: turn?.turnDeg, reason: body.reason });
      opts.logger?.info({ request: req.id, subject: req.subject, result: body.result, challenge: turn?.met }, 'check-in judged');
      return body.result;
    } catch (err) {
      await releaseRequest(pool, req.id);
      throw err;
    }
  }

  return {
    async status(token, nowMs) {
      const req = await open(token, nowMs);
      return { challenge: req.challenge, due_ts: req.dueTs, expires_ts: req.expiresTs };
    },
    async submit(token, upload, nowMs) {
      const req = await open(token, nowMs);
      if (upload.challenge !== undefined && upload.challenge !== req.challenge) {
        throw new CheckinError('VIGIL_CHECKIN_INPUT', `challenge: this request asked for ${req.challenge}`, 'challenge');
      }
      const selfie = image(upload.selfie, 'selfie');
      const after = upload.after.map((b, i) => image(b, `after.${i}`));
      const result = await judge(req, selfie, after, upload, nowMs);
      return { result, message: ANSWER[result] };
    },
  };
}

function image(buf: Uint8Array, field: string): RgbFrame {
  try {
    return decodeJpeg(buf, field);
  } catch {
    throw new CheckinError('VIGIL_CHECKIN_INPUT', `${field}: not a JPEG image`, field);
  }
}
