import type { DriverPlugin } from './driver.js';
import { nmeaPlugin } from './drivers/nmea/index.js';
import { opcuaGatePlugin } from './drivers/opcua/index.js';
import { rtspCameraPlugin } from './drivers/camera/index.js';

/**
 * Every driver plugin the agent knows, by `type`. Each driver adds one import
 * line above and one entry below; the config file picks them by `type`.
 */
export const PLUGINS: DriverPlugin[] = [nmeaPlugin, opcuaGatePlugin, rtspCameraPlugin];
