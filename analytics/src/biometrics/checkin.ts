import { newMessage, type BodyOf, type MessageOf } from '@vigil/schemas';
import type { RgbFrame } from '../vision/image.js';
import type { VisionRuntime } from '../vision/runtime.js';
import type { FaceTemplate } from './enrol.js';
import { detectFaces } from './faces.js';
import { DEFAULT_THRESHOLDS, verify, type MatchThresholds } from './match.js';

/** Check-in thresholds. */
export interface CheckinThresholds extends MatchThresholds {
  /** Anti-spoofing score below this: doubtful (review). Default 0.3. */
  antispoof: number;
  /** Liveness score below this: doubtful (review). Default 0.5. */
  liveness: number;
}

export const DEFAULT_CHECKIN_THRESHOLDS: CheckinThresholds = { ...DEFAULT_THRESHOLDS, antispoof: 0.3, liveness: 0.5 };

/** Where the phone was. */
export interface CheckinFix {
  lat: number;
  lon: number;
  acc_m?: number;
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));

/**
 * Judge a check-in selfie: 1:1 against the subject's template, then
 * anti-spoofing and liveness. pass = matched and both checks above their
 * thresholds; fail = no face, several faces or not matched; review =
 * uncertain match or a doubtful anti-spoofing/liveness score. Every score is
 * reported beside its threshold.
 */
export async function judgeCheckin(
  rt: VisionRuntime,
  subject: string,
  template: FaceTemplate,
  selfie: RgbFrame,
  fix?: CheckinFix,
  t: CheckinThresholds = DEFAULT_CHECKIN_THRESHOLDS,
): Promise<BodyOf<'checkin.result'>> {
  const faces = await detectFaces(rt, selfie);
  const where = fix ? { lat: fix.lat, lon: fix.lon, ...(fix.acc_m !== undefined ? { acc_m: fix.acc_m } : {}) } : {};
  if (faces.length === 0) return { subject, result: 'fail', face: 'no_face', reason: 'no face in the selfie', ...where };
  if (faces.length > 1) return { subject, result: 'fail', face: 'several_faces', reason: `${faces.length} faces in the selfie`, ...where };
  const f = faces[0]!;
  const m = verify(rt, f.descriptor, template, t);
  const antispoof = { score: clamp(f.real ?? 0), threshold: t.antispoof };
  const liveness = { score: clamp(f.live ?? 0), threshold: t.liveness };
  const doubts: string[] = [];
  if (antispoof.score < antispoof.threshold) doubts.push('anti-spoofing score below threshold');
  if (liveness.score < liveness.threshold) doubts.push('liveness score below threshold');
  let result: 'pass' | 'fail' | 'review';
  let reason: string | undefined;
  if (m.outcome === 'not_matched') {
    result = 'fail';
    reason = 'face does not match the template';
  } else if (m.outcome === 'uncertain' || doubts.length > 0) {
    result = 'review';
    reason = [m.outcome === 'uncertain' ? 'face match uncertain' : '', ...doubts].filter(Boolean).join('; ');
  } else {
    result = 'pass';
  }
  return {
    subject,
    result,
    face: m.outcome,
    match: { score: clamp(m.score), threshold: m.threshold },
    antispoof,
    liveness,
    ...(reason ? { reason } : {}),
    ...where,
  };
}

/** The checkin.result message of a judged check-in. */
export function checkinMessage(device: string, seq: number, body: BodyOf<'checkin.result'>, ts: number): MessageOf<'checkin.result'> {
  return newMessage('checkin.result', device, seq, body, ts) as MessageOf<'checkin.result'>;
}
