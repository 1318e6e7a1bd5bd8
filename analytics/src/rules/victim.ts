import type { EvidenceFix, MessageOf } from '@vigil/schemas';
import { distanceM } from '../geo/placement.js';
import type { Rule } from './rule.js';
import { deviceDraft } from './common.js';

/** The last positions of the offender's and the victim's devices, and whether the alert is open. */
export interface VictimState {
  o?: EvidenceFix;
  v?: EvidenceFix;
  near: boolean;
}

/**
 * Victim protection: the supervised subject must stay `distance_m` from the
 * protected person's moving position. Certainly within (distance plus both
 * accuracy radii under the limit) raises; certainly beyond (distance minus
 * both radii over it) returns to normal; in between changes nothing. A
 * position older than `victim_stale_s` is not compared.
 */
export const victimRule: Rule<VictimState> = {
  name: 'victim',
  kinds: ['tag.fix'],
  entities: (msg, _site, c) => (c.victimsByDev.get(msg.dev) ?? []).map((v) => v.id),
  step(state, pairId, m, _site, c) {
    const msg = m as MessageOf<'tag.fix'>;
    const pair = c.victims.get(pairId);
    if (!pair) return { state: undefined, alerts: [] };
    const fix: EvidenceFix = { msg_id: msg.id, ts: msg.ts, lat: msg.body.lat, lon: msg.body.lon, acc_m: msg.body.acc_m };
    const s: VictimState = { ...(state ?? { near: false }) };
    if (msg.dev === pair.offender_dev) s.o = fix;
    else s.v = fix;
    const stale = c.ruleSet.defaults.victim_stale_s * 1000;
    if (!s.o || !s.v || Math.abs(s.o.ts - s.v.ts) > stale) return { state: s, alerts: [] };
    const d = distanceM(s.o.lat, s.o.lon, s.v.lat, s.v.lon);
    const acc = s.o.acc_m + s.v.acc_m;
    const within = d + acc <= pair.distance_m;
    const beyond = d - acc > pair.distance_m;
    if ((!s.near && !within) || (s.near && !beyond)) return { state: s, alerts: [] };
    s.near = within;
    const alert = deviceDraft(c, {
      rule: 'victim.proximity',
      key: `victim.proximity:${pair.id}`,
      severity: 'critical',
      site: pair.site,
      dev: pair.offender_dev,
      en: within ? `Within ${pair.distance_m} m of a protected person` : 'Moved away from the protected person',
      zh: within ? `接近受保护人 ${pair.distance_m} 米以内` : '已远离受保护人',
      ts: msg.ts,
      cause: msg.id,
      evidence: { fixes: [s.o, s.v], msg_ids: [s.o.msg_id, s.v.msg_id], victim: pair.victim_dev, distance_m: Math.round(d) },
      clear: !within,
    });
    return { state: s, alerts: [alert] };
  },
};
