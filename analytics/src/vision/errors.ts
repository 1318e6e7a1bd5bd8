/** Error codes of the video and biometric analytics. */
export type VisionErrorCode =
  | 'VIGIL_VISION_RUNTIME'
  | 'VIGIL_VISION_IMAGE'
  | 'VIGIL_VISION_CONFIG'
  | 'VIGIL_VISION_STREAM'
  | 'VIGIL_BIOMETRICS_ENROL'
  | 'VIGIL_BIOMETRICS_INPUT';

/** An error with a stable code from the vision or biometrics modules. */
export class VisionError extends Error {
  readonly code: VisionErrorCode;
  /** The input field the error is about, when there is one. */
  readonly field: string | undefined;

  constructor(code: VisionErrorCode, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.name = 'VisionError';
    this.code = code;
    this.field = options?.field;
  }
}
