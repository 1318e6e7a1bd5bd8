import type { Injector } from '../scenario/types.js';
import type { SimClock } from './clock.js';
import { GateError } from './errors.js';
import type { Direction, GateModel } from './model.js';
import type { Passages } from './traffic.js';

/** The actions a scenario can inject into the gate simulator (see `GateInjector`). */
export const GATE_ACTIONS = ['card', 'forced', 'held_open', 'anti_passback', 'tamper', 'denials', 'close', 'lock', 'unlock', 'lockdown', 'release'] as const;
export type GateAction = (typeof GATE_ACTIONS)[number];

const num = (args: Record<string, unknown>, key: string, dflt: number, min: number, max: number): number => {
  const v = args[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new GateError('BAD_ARGUMENT', `args.${key} must be a number from ${min} to ${max} / 参数 ${key} 须为 ${min} 至 ${max} 的数字`);
  return v;
};
const str = (args: Record<string, unknown>, key: string, dflt?: string): string => {
  const v = args[key] ?? dflt;
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw new GateError('BAD_ARGUMENT', `args.${key} must be a string of 1-64 characters / 参数 ${key} 须为 1-64 个字符`);
  return v;
};
const direction = (args: Record<string, unknown>): Direction => {
  const v = args.direction ?? 'in';
  if (v !== 'in' && v !== 'out') throw new GateError('BAD_ARGUMENT', `args.direction must be "in" or "out" / 参数 direction 须为 in 或 out`);
  return v;
};
const bool = (args: Record<string, unknown>, key: string, dflt: boolean): boolean => {
  const v = args[key] ?? dflt;
  if (typeof v !== 'boolean') throw new GateError('BAD_ARGUMENT', `args.${key} must be true or false / 参数 ${key} 须为 true 或 false`);
  return v;
};

/**
 * Injects gate events for the scenario runner. `device` is a door id; for
 * `lockdown` and `release` it may also be an area id or the site id (every
 * area). Actions and their arguments (times in simulated seconds):
 *
 * - `card` `{ card, direction?: 'in'|'out', holdOpenS? }` — a card read; a granted one walks through.
 * - `forced` `{ durationS? = 10 }` — the locked door is pushed open without a read; shuts after durationS (0: stays open).
 * - `held_open` `{ durationS? = 60 }` — the door has been held open past the limit after a granted passage; shuts after durationS.
 * - `anti_passback` `{ card? }` — the card is used twice in a row in the same direction; the second read is refused.
 * - `tamper` `{ active? = true }` — the reader or lock housing is opened (or closed again).
 * - `denials` `{ count? = 3, card? }` — repeated refused reads of an unknown card.
 * - `close`, `lock`, `unlock`, `lockdown`, `release` — as the PLC's own methods.
 *
 * Scenario files may spell actions with hyphens (`held-open`). Each resolves
 * once the controller's state has changed.
 */
export class GateInjector implements Injector {
  readonly #model: GateModel;
  readonly #clock: SimClock;
  readonly #passages: Passages;

  constructor(model: GateModel, clock: SimClock, passages: Passages) {
    this.#model = model;
    this.#clock = clock;
    this.#passages = passages;
  }

  async inject(device: string, actionName: string, args: Record<string, unknown>): Promise<void> {
    const m = this.#model;
    const action = actionName.replace(/-/g, '_');
    if (action === 'lockdown' || action === 'release') {
      const area = this.#scope(device);
      if (action === 'lockdown') m.lockdown(area);
      else m.release(area);
      return;
    }
    const door = m.door(device);
    switch (action as GateAction) {
      case 'card':
        this.#passages.pass(door.id, str(args, 'card'), direction(args), num(args, 'holdOpenS', 3, 0, 3600) * 1000);
        return;
      case 'forced': {
        if (!door.locked) throw new GateError('INVALID_STATE', `door ${door.id} is unlocked; only a locked door can be forced / 门 ${door.id} 未上锁，无法模拟强行开门`);
        const durationMs = num(args, 'durationS', 10, 0, 86_400) * 1000;
        m.open(door.id);
        if (durationMs > 0) this.#clock.after(durationMs, () => m.close(door.id));
        return;
      }
      case 'held_open': {
        const card = this.#enrolledCard(door.area);
        const dir: Direction = m.lastDirection(card, door.area) === 'in' ? 'out' : 'in';
        m.cardRead(door.id, card, dir);
        m.open(door.id, 3_600_000);
        const durationMs = num(args, 'durationS', 60, 0, 86_400) * 1000;
        if (durationMs > 0) this.#clock.after(durationMs, () => m.close(door.id));
        return;
      }
      case 'anti_passback': {
        const card = args.card === undefined ? this.#enrolledCard(door.area) : str(args, 'card');
        const dir = m.lastDirection(card, door.area) ?? 'in';
        if (m.lastDirection(card, door.area) === undefined) m.cardRead(door.id, card, dir);
        m.cardRead(door.id, card, dir);
        return;
      }
      case 'tamper':
        m.setTamper(door.id, bool(args, 'active', true));
        return;
      case 'denials': {
        const count = num(args, 'count', 3, 1, 1000);
        const card = str(args, 'card', 'UNKNOWN-0000');
        for (let i = 0; i < count; i++) m.cardRead(door.id, card, 'in');
        return;
      }
      case 'close':
        m.close(door.id);
        return;
      case 'lock':
        m.lock(door.id);
        return;
      case 'unlock':
        m.unlock(door.id);
        return;
      default:
        throw new GateError('UNKNOWN_ACTION', `unknown gate action ${JSON.stringify(action)} (one of ${GATE_ACTIONS.join(', ')}) / 未知门禁动作 ${action}`);
    }
  }

  /** A door id means its area; an area id itself; the site id, every area. */
  #scope(device: string): string | null {
    if (device === this.#model.layout.site) return null;
    if (this.#model.layout.areas.some((a) => a.id === device)) return device;
    return this.#model.door(device).area;
  }

  #enrolledCard(area: string): string {
    const c = this.#model.layout.cards.find((x) => x.areas.includes(area));
    if (!c) throw new GateError('INVALID_STATE', `no enrolled card may enter area ${area} / 没有可进入区域 ${area} 的门卡`);
    return c.card;
  }
}
