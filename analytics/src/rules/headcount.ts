import type { MessageOf } from '@vigil/schemas';
import type { Compiled } from '../compiled.js';
import { nextDailyTime } from '../schedule.js';
import { doorDraft } from './gates.js';
import type { Rule, RuleStep } from './rule.js';
import type { AlertDraft } from './types.js';

/** Who is inside an area by the gate events, and when the next roll call is. */
export interface AreaState {
  inside: Record<string, true>;
  count: number;
  nextRoll?: number;
}

/**
 * Headcount: cards granted in and out through the area's doors keep a
 * count; at each roll-call time a count different from the expected roll
 * is an alert (one per roll call, with both numbers). With anti-passback,
 * going in twice without going out (or out without in) is an alert.
 */
export const headcountRule: Rule<AreaState> = {
  name: 'headcount',
  kinds: ['gate.access'],
  entities(msg, site, c) {
    const door = c.doors.get(`${site}/${(msg as MessageOf<'gate.access'>).body.door}`);
    return door?.area && c.areas.has(door.area) ? [door.area] : [];
  },
  step(state, areaId, m, site, c, now) {
    const msg = m as MessageOf<'gate.access'>;
    const area = c.areas.get(areaId)!;
    const s: AreaState = state ? { ...state, inside: { ...state.inside } } : initial(areaId, c, now);
    const alerts: AlertDraft[] = [];
    const { card, direction, granted, door } = msg.body;
    if (!granted || !direction) return { state: s, alerts, wakeAt: s.nextRoll };
    const isIn = s.inside[card] === true;
    if (area.anti_passback && ((direction === 'in' && isIn) || (direction === 'out' && !isIn))) {
      alerts.push(
        doorDraft(c, 'anti_passback', { site, dev: msg.dev, door }, msg.ts, msg.id, false, {
          key: `gate.anti_passback:${site}:${areaId}:${card}`,
          evidence: { door, area: areaId, msg_ids: [msg.id] },
        }),
      );
    }
    if (direction === 'in' && !isIn) {
      s.inside[card] = true;
      s.count++;
    } else if (direction === 'out' && isIn) {
      delete s.inside[card];
      s.count--;
    }
    return { state: s, alerts, wakeAt: s.nextRoll };
  },
  wake(state, areaId, c, now): RuleStep<AreaState> {
    const area = c.areas.get(areaId);
    if (!area) return { state: undefined, alerts: [] };
    const alerts: AlertDraft[] = [];
    if (state.count !== area.expected) {
      const name = area.name ?? { en: area.id, 'zh-CN': area.id };
      alerts.push({
        rule: 'headcount.mismatch',
        key: `headcount.mismatch:${area.site}:${area.id}:${now}`,
        severity: 'high',
        site: area.site,
        dev: area.id,
        title: {
          en: `Roll call at ${name.en}: ${state.count} counted, ${area.expected} expected`,
          'zh-CN': `${name['zh-CN']}点名：实到 ${state.count} 人，应到 ${area.expected} 人`,
        },
        ts: now,
        evidence: { area: area.id, expected: area.expected, counted: state.count },
        cause: `timer:roll:${area.id}:${now}`,
      });
    }
    const nextRoll = nextDailyTime(area.roll_calls, now, c.ruleSet.timezone);
    return { state: { ...state, nextRoll }, alerts, wakeAt: nextRoll };
  },
  bootstrap(c, now) {
    return [...c.areas.values()].map((a) => {
      const s = initial(a.id, c, now);
      return { entity: a.id, routingKey: `area:${a.id}`, step: { state: s, alerts: [], wakeAt: s.nextRoll } };
    });
  },
};

function initial(areaId: string, c: Compiled, now: number): AreaState {
  const area = c.areas.get(areaId)!;
  const inside: Record<string, true> = {};
  for (const card of area.initial ?? []) inside[card] = true;
  return { inside, count: Object.keys(inside).length, nextRoll: nextDailyTime(area.roll_calls, now, c.ruleSet.timezone) };
}
