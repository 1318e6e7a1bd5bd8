import type { MessageOf } from '@vigil/schemas';
import type { Rule } from './rule.js';
import { deviceDraft } from './common.js';

/** The battery level band a tag was last in. */
export interface BatteryState {
  level: 'low' | 'critical';
}

/**
 * Battery low and critical, with hysteresis: a reading must rise
 * `battery_hysteresis_pct` above a threshold (or the tag be charging above
 * it) before that alert returns to normal, so a level wobbling around the
 * line does not chatter.
 */
export const batteryRule: Rule<BatteryState> = {
  name: 'battery',
  kinds: ['tag.health'],
  entities: (msg) => [msg.dev],
  step(state, _e, m, site, c) {
    const msg = m as MessageOf<'tag.health'>;
    const pct = msg.body.battery_pct;
    const d = c.ruleSet.defaults;
    const cur = state?.level;
    const h = d.battery_hysteresis_pct;
    const charging = msg.body.charging === true;
    let level: BatteryState['level'] | undefined;
    if (pct <= d.battery_critical_pct || (cur === 'critical' && pct < d.battery_critical_pct + h && !charging)) level = 'critical';
    else if (pct <= d.battery_low_pct || (cur !== undefined && pct < d.battery_low_pct + h && !charging)) level = 'low';
    if (level === cur) return { state, alerts: [] };
    const base = { site, dev: msg.dev, ts: msg.ts, cause: msg.id, evidence: { battery_pct: pct, msg_ids: [msg.id] } };
    const low = (clear: boolean) =>
      deviceDraft(c, { ...base, rule: 'battery.low', key: `battery.low:${msg.dev}`, severity: 'low', en: clear ? 'Battery recovered' : `Battery low (${pct}%)`, zh: clear ? '电量已恢复' : `电量低（${pct}%）`, clear });
    const crit = (clear: boolean) =>
      deviceDraft(c, { ...base, rule: 'battery.critical', key: `battery.critical:${msg.dev}`, severity: 'high', en: clear ? 'Battery above critical' : `Battery critical (${pct}%)`, zh: clear ? '电量已脱离严重不足' : `电量严重不足（${pct}%）`, clear });
    const alerts = [];
    if (level === 'critical') {
      if (!cur) alerts.push(low(false));
      alerts.push(crit(false));
    } else if (level === 'low') {
      if (cur === 'critical') alerts.push(crit(true));
      else alerts.push(low(false));
    } else {
      if (cur === 'critical') alerts.push(crit(true));
      alerts.push(low(true));
    }
    return { state: level ? { level } : undefined, alerts };
  },
};
