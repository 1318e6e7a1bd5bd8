import type { Injector } from '../scenario/types.js';
import type { CameraSim } from './cameras.js';
import { CameraSimError } from './errors.js';
import { SCENES, isScene } from './scenes.js';

/** The actions a scenario step may apply to a camera. */
export const CAMERA_ACTIONS = ['scene', 'drop', 'stop', 'start'] as const;

/**
 * Scenario injector for simulated cameras:
 * - `scene` `{ scene: 'empty' | 'person' | 'walk-in' | 'group' | 'person-down' | 'face' }` switches what the camera shows;
 * - `drop` `{ durationMs }` (or `{ seconds }`) takes the stream off air for that long;
 * - `stop` / `start` take it off air until told otherwise.
 */
export class CameraInjector implements Injector {
  constructor(private readonly sim: CameraSim) {}

  async inject(device: string, action: string, args: Record<string, unknown>): Promise<void> {
    const bad = (field: string, want: string, zh: string) =>
      new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `camera ${device} ${action}: ${field} must be ${want}, got ${JSON.stringify(args[field])} / 摄像头 ${device} ${action}：${field} 必须是${zh}`);
    switch (action) {
      case 'scene': {
        if (!isScene(args.scene)) throw bad('scene', `one of ${SCENES.join(', ')}`, ` ${SCENES.join('、')} 之一`);
        return this.sim.setScene(device, args.scene);
      }
      case 'drop': {
        const ms = args.durationMs ?? (typeof args.seconds === 'number' ? args.seconds * 1000 : args.seconds);
        const field = args.durationMs !== undefined ? 'durationMs' : args.seconds !== undefined ? 'seconds' : 'durationMs (or seconds)';
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw bad(field, 'a non-negative number', '非负数');
        return this.sim.drop(device, ms);
      }
      case 'stop':
        return this.sim.stopStream(device);
      case 'start':
        return this.sim.startStream(device);
      default:
        throw new CameraSimError(
          'VIGIL_SIM_CAMERA_UNKNOWN',
          `camera ${device}: unknown action ${JSON.stringify(action)} (known: ${CAMERA_ACTIONS.join(', ')}) / 摄像头 ${device}：未知操作 ${JSON.stringify(action)}`,
        );
    }
  }
}
