import type { AlertDraft } from '../rules/types.js';
import type { MatchVerdict } from './match.js';

/** A card read at a door, seen by the gate camera, judged against the card holder's template. */
export interface CardFaceCheck {
  site: string;
  /** The gate controller or camera that saw it. */
  dev: string;
  door: string;
  /** The person the card belongs to. */
  holder: string;
  /** The gate.access message id. */
  msgId: string;
  ts: number;
  /** 1:1 verdict of the face at the door against the holder's template. */
  verdict: MatchVerdict;
  snapshotRef?: string;
  /** 1:N: who among the people expected at the site the face was identified as, and the score. */
  seen?: { person: string; score: number };
}

/**
 * The alert when the face at the door is not the card holder's: raised on
 * `not_matched` only (an uncertain verdict is left to the operator's screen,
 * not an alarm), one alert per door and holder, each read folded in.
 */
export function cardFaceDraft(c: CardFaceCheck): AlertDraft | undefined {
  if (c.verdict.outcome !== 'not_matched') return undefined;
  const seen = c.seen ? `; looks like ${c.seen.person} ${c.seen.score.toFixed(2)}` : '';
  const seenZh = c.seen ? `；疑似 ${c.seen.person} ${c.seen.score.toFixed(2)}` : '';
  const why = `score ${c.verdict.score.toFixed(2)} < ${c.verdict.threshold.toFixed(2)}`;
  return {
    rule: 'biometrics.card_face_mismatch',
    key: `biometrics.card_face_mismatch:${c.door}:${c.holder}`,
    severity: 'high',
    site: c.site,
    dev: c.dev,
    subject: c.holder,
    title: { en: `Card used by someone else at ${c.door} (${why}${seen})`, 'zh-CN': `${c.door} 门卡与持卡人人脸不符（${why}${seenZh}）` },
    ts: c.ts,
    evidence: { door: c.door, msg_ids: [c.msgId], ...(c.snapshotRef ? { snapshot_ref: c.snapshotRef } : {}) },
    cause: c.msgId,
  };
}
