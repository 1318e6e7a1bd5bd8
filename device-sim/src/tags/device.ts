import type { SimEvent } from './events.js';

/** A simulated device the fleet steps through time. */
export interface SimDevice {
  readonly id: string;
  readonly siteId: string;
  /** When this device next wants to be stepped (sim clock, epoch ms). */
  readonly nextDueMs: number;
  /** Produce what the device sends at `now` (its due time) and plan its next step. */
  step(now: number): SimEvent[];
  /** Apply an injected event at `now`; returns what the device sends at once. Throws on an unknown action or bad argument. */
  inject(action: string, args: Record<string, unknown>, now: number): SimEvent[];
}

/** An injected event's arguments were wrong: names the device, action and argument. */
export class InjectError extends Error {
  readonly code = 'VIGIL_SIM_INJECT';
  constructor(message: string) {
    super(message);
    this.name = 'InjectError';
  }
}

/** Read a number argument, with a default; throws naming the argument. */
export function numArg(args: Record<string, unknown>, name: string, dflt: number | undefined, where: string, min = 0): number {
  const v = args[name];
  if (v === undefined) {
    if (dflt === undefined) throw new InjectError(`${where}: missing argument "${name}" / 缺少参数 "${name}"`);
    return dflt;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new InjectError(`${where}: argument "${name}" must be a number ≥ ${min}, got ${JSON.stringify(v)} / 参数 "${name}" 必须是不小于 ${min} 的数字`);
  return v;
}

/** Read a string argument; throws naming the argument. */
export function strArg(args: Record<string, unknown>, name: string, where: string): string {
  const v = args[name];
  if (typeof v !== 'string' || v === '') throw new InjectError(`${where}: argument "${name}" must be a non-empty string, got ${JSON.stringify(v)} / 参数 "${name}" 必须是非空字符串`);
  return v;
}
