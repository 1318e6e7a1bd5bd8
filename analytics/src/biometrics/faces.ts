import { frameToTensor, type Box, type RgbFrame } from '../vision/image.js';
import type { VisionRuntime } from '../vision/runtime.js';

/** A face as the models saw it. */
export interface FaceObservation {
  box: Box;
  /** Detector confidence (0–1). */
  score: number;
  /** 1024-number descriptor (Human's faceres). */
  descriptor: number[];
  /** Anti-spoofing: how real (not a photo or screen) the face looks (0–1). */
  real: number | undefined;
  /** Liveness (0–1). */
  live: number | undefined;
  /**
   * Head yaw in radians from the face mesh, in the image as captured (not
   * mirrored): negative when the face points to the image's right, i.e. the
   * person turned to their own left. Undefined without a mesh.
   */
  yawRad: number | undefined;
}

/** Detect faces and describe them (detector, mesh, description, anti-spoofing, liveness). */
export async function detectFaces(rt: VisionRuntime, image: RgbFrame, minScore = 0.5): Promise<FaceObservation[]> {
  const tensor = frameToTensor(rt.tf, image) as { dispose(): void };
  let result;
  try {
    result = await rt.detect(tensor, { body: { enabled: false }, object: { enabled: false }, face: { enabled: true } });
  } finally {
    tensor.dispose();
  }
  return result.face
    .filter((f) => f.score >= minScore)
    .map((f) => ({
      box: { x: f.box[0]!, y: f.box[1]!, w: f.box[2]!, h: f.box[3]! },
      score: f.score,
      descriptor: Array.from(f.embedding ?? []),
      real: f.real,
      live: f.live,
      yawRad: f.rotation?.angle.yaw,
    }));
}

/**
 * Similarity of two descriptors, 0–1 (Human's `match.similarity`: Euclidean
 * distance mapped onto 0..1; 1 = the same descriptor).
 */
export function similarity(rt: VisionRuntime, a: number[], b: number[]): number {
  return rt.human.match.similarity(a, b) as number;
}
