/** Error codes of the simulated cameras. */
export type CameraSimErrorCode = 'VIGIL_SIM_CAMERA_FFMPEG' | 'VIGIL_SIM_CAMERA_CONFIG' | 'VIGIL_SIM_CAMERA_UNKNOWN' | 'VIGIL_SIM_CAMERA_RTSP';

/** An error of the simulated RTSP cameras, with a stable code. */
export class CameraSimError extends Error {
  readonly code: CameraSimErrorCode;

  constructor(code: CameraSimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CameraSimError';
    this.code = code;
  }
}
