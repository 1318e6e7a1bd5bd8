import type { Box, RgbFrame } from './image.js';
import { frameToTensor } from './image.js';
import type { VisionRuntime } from './runtime.js';

/** A person the models found in a frame. */
export interface PersonObservation {
  box: Box;
  score: number;
  /** Body posture from the pose model when it covered this person: torso angle from vertical, degrees. */
  torsoAngleDeg?: number;
  /** Lying: torso more than `horizontalDeg` from vertical, or (no pose) a box much wider than tall. */
  horizontal: boolean;
}

/** What one frame holds. */
export interface FrameAnalysis {
  width: number;
  height: number;
  people: PersonObservation[];
}

/** Thresholds of `analyseFrame`. */
export interface AnalyseOptions {
  /** Minimum object-detector score for a person. Default 0.3. */
  minPersonScore?: number;
  /** Minimum pose score to trust the torso angle. Default 0.3. */
  minPoseScore?: number;
  /** Torso angle from vertical beyond which a person counts as lying. Default 55. */
  horizontalDeg?: number;
  /** Without a pose, a box this many times wider than tall counts as lying. Default 1.3. */
  lyingAspect?: number;
}

interface HumanKeypoint {
  part: string;
  position: [number, number, number?];
  score: number;
}

function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
export { iou };

/** Torso angle from vertical (degrees) from shoulders and hips, or undefined when they were not seen. */
export function torsoAngle(keypoints: HumanKeypoint[], minScore: number): number | undefined {
  const get = (p: string) => keypoints.find((k) => k.part === p && k.score >= minScore);
  const ls = get('leftShoulder');
  const rs = get('rightShoulder');
  const lh = get('leftHip');
  const rh = get('rightHip');
  const shoulders = [ls, rs].filter((k): k is HumanKeypoint => !!k);
  const hips = [lh, rh].filter((k): k is HumanKeypoint => !!k);
  if (shoulders.length === 0 || hips.length === 0) return undefined;
  const mean = (ks: HumanKeypoint[], i: 0 | 1) => ks.reduce((s, k) => s + k.position[i], 0) / ks.length;
  const dx = mean(shoulders, 0) - mean(hips, 0);
  const dy = mean(shoulders, 1) - mean(hips, 1);
  if (dx === 0 && dy === 0) return undefined;
  return (Math.atan2(Math.abs(dx), Math.abs(dy)) * 180) / Math.PI;
}

const toBox = (b: number[]): Box => ({ x: b[0]!, y: b[1]!, w: b[2]!, h: b[3]! });

/**
 * Run person detection and body pose on one frame: people from the object
 * detector (CenterNet), each given the posture of the pose (MoveNet) that
 * overlaps it best; a confident pose with no matching box counts as a person too.
 */
export async function analyseFrame(rt: VisionRuntime, frame: RgbFrame, opts: AnalyseOptions = {}): Promise<FrameAnalysis> {
  const minPerson = opts.minPersonScore ?? 0.3;
  const minPose = opts.minPoseScore ?? 0.3;
  const horizontalDeg = opts.horizontalDeg ?? 55;
  const lyingAspect = opts.lyingAspect ?? 1.3;
  const tensor = frameToTensor(rt.tf, frame) as { dispose(): void };
  let result;
  try {
    result = await rt.detect(tensor, { face: { enabled: false }, body: { enabled: true }, object: { enabled: true } });
  } finally {
    tensor.dispose();
  }
  const poses = result.body
    .filter((b) => b.score >= minPose && b.box.every((v) => Number.isFinite(v)))
    .map((b) => ({ box: toBox(b.box), angle: torsoAngle(b.keypoints, minPose), score: b.score }));
  const people: PersonObservation[] = result.object
    .filter((o) => o.label === 'person' && o.score >= minPerson)
    .map((o) => ({ box: toBox(o.box), score: o.score, horizontal: false }));
  const used = new Set<number>();
  for (const p of people) {
    let best = -1;
    let bestIou = 0.3;
    poses.forEach((q, i) => {
      const v = iou(p.box, q.box);
      if (v > bestIou) {
        bestIou = v;
        best = i;
      }
    });
    if (best >= 0 && poses[best]!.angle !== undefined) {
      used.add(best);
      p.torsoAngleDeg = poses[best]!.angle;
      p.horizontal = p.torsoAngleDeg! > horizontalDeg;
    } else {
      p.horizontal = p.box.w > p.box.h * lyingAspect;
    }
  }
  poses.forEach((q, i) => {
    if (used.has(i) || q.angle === undefined) return;
    if (people.some((p) => iou(p.box, q.box) > 0.3)) return;
    people.push({ box: q.box, score: q.score, torsoAngleDeg: q.angle, horizontal: q.angle > horizontalDeg });
  });
  return { width: frame.width, height: frame.height, people };
}
