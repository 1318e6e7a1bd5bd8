import type { MessageOf } from '@vigil/schemas';
import type { Rule } from './rule.js';
import { deviceDraft } from './common.js';

/** Panic button: a critical alert at once; repeated presses fold into it; only an operator closes it. */
export const panicRule: Rule<never> = {
  name: 'panic',
  kinds: ['panic.press'],
  entities: (msg) => [msg.dev],
  step(_s, _e, m, site, c) {
    const msg = m as MessageOf<'panic.press'>;
    const { lat, lon, acc_m } = msg.body;
    const fixes = lat !== undefined && lon !== undefined ? [{ msg_id: msg.id, ts: msg.ts, lat, lon, acc_m: acc_m ?? 0 }] : undefined;
    return {
      state: undefined,
      alerts: [
        deviceDraft(c, {
          rule: 'panic',
          key: `panic:${msg.dev}`,
          severity: 'critical',
          site,
          dev: msg.dev,
          en: 'Panic button pressed',
          zh: '紧急求助按钮被按下',
          ts: msg.ts,
          cause: msg.id,
          evidence: { msg_ids: [msg.id], ...(fixes ? { fixes } : {}) },
        }),
      ],
    };
  },
};
