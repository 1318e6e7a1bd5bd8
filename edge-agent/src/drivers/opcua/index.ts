import type { DriverPlugin } from '../../driver.js';
import { OpcuaGateConfig } from './config.js';
import { OpcuaGateDriver } from './driver.js';

/**
 * `opcua-gate`: doors and gates behind an OPC UA door controller (PLC).
 * Publishes `gate.state`, `gate.alarm` and `gate.access` per door device and
 * answers `lock`, `unlock`, `lockdown` (`args.scope`: `area` default for a
 * door, `site` for the controller) and `release`.
 */
export const opcuaGatePlugin: DriverPlugin<typeof OpcuaGateConfig> = {
  type: 'opcua-gate',
  configSchema: OpcuaGateConfig,
  create: (config, ctx) => new OpcuaGateDriver(config, ctx),
};

export { OpcuaGateConfig, OpcuaDoorConfig, DOOR_FIELDS } from './config.js';
export { OpcuaGateDriver } from './driver.js';
export { DoorTracker } from './door-tracker.js';
