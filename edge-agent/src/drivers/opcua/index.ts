import type { CommandOutcome, Driver, DriverPlugin } from '../../driver.js';
import { doorDevices, OpcuaGateConfig } from './config.js';

/**
 * `opcua-gate`: doors and gates behind an OPC UA door controller (PLC).
 * Publishes `gate.state`, `gate.alarm` and `gate.access` per door device and
 * answers `lock`, `unlock`, `lockdown` (`args.scope`: `area` default for a
 * door, `site` for the controller) and `release`. See README.md beside this file.
 *
 * node-opcua takes seconds to load, so the driver itself is loaded by `start()`:
 * an agent without gates never pays for it.
 */
export const opcuaGatePlugin: DriverPlugin<typeof OpcuaGateConfig> = {
  type: 'opcua-gate',
  configSchema: OpcuaGateConfig,
  create(config, ctx): Driver {
    const devices = [...doorDevices(config).values(), ...(config.controller ? [config.controller] : [])];
    let inner: Driver | undefined;
    return {
      devices: () => devices,
      async start() {
        const { OpcuaGateDriver } = await import('./driver.js');
        inner ??= new OpcuaGateDriver(config, ctx);
        await inner.start();
      },
      async stop() {
        if (inner) await inner.stop();
        else ctx.setState('stopped');
      },
      async command(device, name, args): Promise<CommandOutcome> {
        if (!inner) return { status: 'error', detail: 'the opcua-gate driver has not started / 门禁驱动尚未启动' };
        return inner.command!(device, name, args);
      },
    };
  },
};

export { OpcuaGateConfig, OpcuaDoorConfig, DOOR_FIELDS } from './config.js';
export { DoorTracker } from './door-tracker.js';
