import { VisionError } from '../vision/errors.js';
import type { RgbFrame } from '../vision/image.js';
import type { VisionRuntime } from '../vision/runtime.js';
import { detectFaces } from './faces.js';

/** A face template: descriptors only, one per accepted photo; no photo is kept. */
export interface FaceTemplate {
  model: 'human-faceres';
  descriptors: number[][];
}

/** Why a photo was refused for enrolment. */
export type RejectReason = 'no_face' | 'several_faces' | 'low_quality';

/** Reasons in English and zh-CN for the user. */
export const REJECT_TEXT: Record<RejectReason, { en: string; 'zh-CN': string }> = {
  no_face: { en: 'No face found in the photo', 'zh-CN': '照片中未检测到人脸' },
  several_faces: { en: 'More than one face in the photo', 'zh-CN': '照片中有多张人脸' },
  low_quality: { en: 'The face is too small or unclear', 'zh-CN': '人脸过小或不清晰' },
};

/** Quality bar of enrolment photos. */
export interface EnrolOptions {
  /** Minimum face detector score. Default 0.8. */
  minFaceScore?: number;
  /** Minimum face box side in pixels. Default 96. */
  minFacePx?: number;
  /** A second face counts when its detector score is at least this. Default 0.5. */
  otherFaceScore?: number;
}

/** The outcome per photo. */
export interface PhotoVerdict {
  index: number;
  accepted: boolean;
  reason?: RejectReason;
  faces: number;
  faceScore?: number;
  facePx?: number;
}

/**
 * Make a template from one or more photos. A photo with no face, several
 * faces or a small or doubtful face is refused (and said why); if none is
 * accepted, enrolment fails with VIGIL_BIOMETRICS_ENROL.
 */
export async function enrolFace(rt: VisionRuntime, photos: RgbFrame[], opts: EnrolOptions = {}): Promise<{ template: FaceTemplate; photos: PhotoVerdict[] }> {
  if (photos.length === 0) throw new VisionError('VIGIL_BIOMETRICS_INPUT', 'photos: at least one photo is needed', { field: 'photos' });
  const minScore = opts.minFaceScore ?? 0.8;
  const minPx = opts.minFacePx ?? 96;
  const verdicts: PhotoVerdict[] = [];
  const descriptors: number[][] = [];
  for (const [index, photo] of photos.entries()) {
    const faces = await detectFaces(rt, photo, opts.otherFaceScore ?? 0.5);
    if (faces.length === 0) {
      verdicts.push({ index, accepted: false, reason: 'no_face', faces: 0 });
      continue;
    }
    if (faces.length > 1) {
      verdicts.push({ index, accepted: false, reason: 'several_faces', faces: faces.length });
      continue;
    }
    const f = faces[0]!;
    const px = Math.min(f.box.w, f.box.h);
    if (f.score < minScore || px < minPx || f.descriptor.length === 0) {
      verdicts.push({ index, accepted: false, reason: 'low_quality', faces: 1, faceScore: f.score, facePx: Math.round(px) });
      continue;
    }
    descriptors.push(f.descriptor);
    verdicts.push({ index, accepted: true, faces: 1, faceScore: f.score, facePx: Math.round(px) });
  }
  if (descriptors.length === 0) {
    const reasons = verdicts.map((v) => `photo ${v.index}: ${REJECT_TEXT[v.reason!].en}`).join('; ');
    const err = new VisionError('VIGIL_BIOMETRICS_ENROL', `no photo could be enrolled (${reasons})`, { field: 'photos' });
    Object.assign(err, { photos: verdicts });
    throw err;
  }
  return { template: { model: 'human-faceres', descriptors }, photos: verdicts };
}
