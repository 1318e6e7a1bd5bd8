import type { RgbFrame } from '../vision/image.js';
import type { VisionRuntime } from '../vision/runtime.js';
import { detectFaces, similarity } from './faces.js';

/** The head turn a check-in asks for, in the subject's own terms. */
export type HeadTurn = 'turn_left' | 'turn_right';

/** Thresholds of the head-turn challenge. */
export interface HeadTurnThresholds {
  /** The yaw must change by at least this many degrees in the asked direction. Default 15. */
  minTurnDeg: number;
  /** The turned face must be this similar to the selfie's face (0–1): the same person, allowing for pose. Default 0.2. */
  sameFace: number;
}

export const DEFAULT_HEAD_TURN: HeadTurnThresholds = { minTurnDeg: 15, sameFace: 0.2 };

/** What the challenge showed. */
export interface HeadTurnVerdict {
  met: boolean;
  /** The largest turn seen in the asked direction, degrees (negative: the other way); undefined when no frame could be measured. */
  turnDeg: number | undefined;
  threshold: number;
  /** Why not met, in a few words (English). */
  reason?: string;
}

const DEG = 180 / Math.PI;

/**
 * Did the face in the selfie turn its head the asked way in the frames taken
 * after the prompt? Each later frame must hold exactly one face, similar
 * enough to the selfie's face to be the same person; the yaw change from the
 * selfie is measured on the face mesh. Frames are as captured, not mirrored:
 * turning to one's own left turns the face towards the image's right (negative
 * yaw). This shows that the camera saw a face that moved on request; it does
 * not prove that face was a living person rather than a video of one.
 */
export async function judgeHeadTurn(
  rt: VisionRuntime,
  selfie: RgbFrame,
  after: RgbFrame[],
  asked: HeadTurn,
  t: HeadTurnThresholds = DEFAULT_HEAD_TURN,
): Promise<HeadTurnVerdict> {
  const no = (reason: string, turnDeg?: number): HeadTurnVerdict => ({ met: false, turnDeg, threshold: t.minTurnDeg, reason });
  if (after.length === 0) return no('no frame after the prompt');
  const [first, ...others] = await detectFaces(rt, selfie);
  if (!first || others.length > 0 || first.yawRad === undefined) return no('the selfie has no single measurable face');
  const sign = asked === 'turn_left' ? -1 : 1;
  let best: number | undefined;
  let seen = 0;
  for (const frame of after) {
    const faces = await detectFaces(rt, frame);
    if (faces.length !== 1 || faces[0]!.yawRad === undefined) continue;
    if (similarity(rt, first.descriptor, faces[0]!.descriptor) < t.sameFace) continue;
    seen++;
    const turn = sign * (faces[0]!.yawRad - first.yawRad) * DEG;
    if (best === undefined || turn > best) best = turn;
  }
  if (best === undefined) return no(seen === 0 ? 'no frame after the prompt shows the same single face' : 'head turn not measurable');
  const turnDeg = Math.round(best * 10) / 10 || 0;
  if (turnDeg < t.minTurnDeg) return no(`head turned ${turnDeg}° the asked way, less than ${t.minTurnDeg}°`, turnDeg);
  return { met: true, turnDeg, threshold: t.minTurnDeg };
}
