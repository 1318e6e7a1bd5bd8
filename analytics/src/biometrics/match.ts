import type { VisionRuntime } from '../vision/runtime.js';
import type { FaceTemplate } from './enrol.js';
import { similarity } from './faces.js';

/** Decision thresholds, reported with every decision. */
export interface MatchThresholds {
  /** At or above: the same person. Default 0.30 (see docs: the fixture pairs of one man score 0.32–0.44, other people 0.30 or less). */
  match: number;
  /** Below `match` by less than this: uncertain (an officer reviews). Default 0.08. */
  uncertainBand: number;
}

export const DEFAULT_THRESHOLDS: MatchThresholds = { match: 0.3, uncertainBand: 0.08 };

/** A 1:1 verdict with its score and thresholds. */
export interface MatchVerdict {
  outcome: 'matched' | 'not_matched' | 'uncertain';
  score: number;
  threshold: number;
}

/** Best similarity of a descriptor to any descriptor of a template. */
export function templateScore(rt: VisionRuntime, descriptor: number[], template: FaceTemplate): number {
  let best = 0;
  for (const d of template.descriptors) best = Math.max(best, similarity(rt, descriptor, d));
  return best;
}

/** Judge a score against the thresholds. */
export function judge(score: number, t: MatchThresholds = DEFAULT_THRESHOLDS): MatchVerdict {
  const outcome = score >= t.match ? 'matched' : score >= t.match - t.uncertainBand ? 'uncertain' : 'not_matched';
  return { outcome, score, threshold: t.match };
}

/** 1:1 verification of a descriptor against one template. */
export function verify(rt: VisionRuntime, descriptor: number[], template: FaceTemplate, t: MatchThresholds = DEFAULT_THRESHOLDS): MatchVerdict {
  return judge(templateScore(rt, descriptor, template), t);
}

/** One candidate of a 1:N search. */
export interface Candidate {
  id: string;
  template: FaceTemplate;
}

/** 1:N identification: the best candidate at or above the threshold, and every score for the record. */
export function identify(
  rt: VisionRuntime,
  descriptor: number[],
  gallery: Candidate[],
  t: MatchThresholds = DEFAULT_THRESHOLDS,
): { id: string | undefined; verdict: MatchVerdict; scores: Array<{ id: string; score: number }> } {
  const scores = gallery.map((c) => ({ id: c.id, score: templateScore(rt, descriptor, c.template) })).sort((a, b) => b.score - a.score);
  const best = scores[0];
  const verdict = judge(best?.score ?? 0, t);
  return { id: verdict.outcome === 'matched' ? best!.id : undefined, verdict, scores };
}
