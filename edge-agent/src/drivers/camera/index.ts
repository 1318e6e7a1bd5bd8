import type { DriverPlugin } from '../../driver.js';
import { RtspCameraConfig } from './config.js';
import { RtspCameraDriver } from './driver.js';

/**
 * `rtsp-camera`: RTSP cameras supervised with ffmpeg. Publishes `cam.health`
 * per camera device and answers `snapshot` (one JPEG stored under
 * `snapshotDir/<camera>/`, result: path, bytes, sha256, width, height, ts).
 */
export const rtspCameraPlugin: DriverPlugin<typeof RtspCameraConfig> = {
  type: 'rtsp-camera',
  configSchema: RtspCameraConfig,
  create: (config, ctx) => new RtspCameraDriver(config, ctx),
};

export { RtspCameraConfig, RtspCameraEntry } from './config.js';
export { RtspCameraDriver } from './driver.js';
export { jpegSize } from './jpeg.js';
