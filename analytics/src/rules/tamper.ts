import type { MessageOf } from '@vigil/schemas';
import type { Rule } from './rule.js';
import { deviceDraft } from './common.js';

/** Which tamper conditions are active on a tag. */
export interface TamperState {
  strap: boolean;
  case: boolean;
}

const TEXT = {
  strap: { en: 'Strap tampered (cut or removed)', zh: '腕带被破坏（剪断或摘除）', restoredEn: 'Strap restored', restoredZh: '腕带已恢复' },
  case: { en: 'Tag case opened', zh: '设备外壳被打开', restoredEn: 'Tag case closed', restoredZh: '设备外壳已关闭' },
};

/**
 * Strap tamper and case open: each raised by its own event and cleared only
 * by its own restore (a case restore never clears a strap alarm). Repeats
 * while active fold into the open alert.
 */
export const tamperRule: Rule<TamperState> = {
  name: 'tamper',
  kinds: ['tag.tamper'],
  entities: (msg) => [msg.dev],
  step(state, _e, m, site, c) {
    const msg = m as MessageOf<'tag.tamper'>;
    const { what, active } = msg.body;
    const s = state ?? { strap: false, case: false };
    const rule = `tamper.${what}`;
    const t = TEXT[what];
    if (!active && !s[what]) return { state, alerts: [] };
    const next = { ...s, [what]: active };
    const alert = deviceDraft(c, {
      rule,
      key: `${rule}:${msg.dev}`,
      severity: 'critical',
      site,
      dev: msg.dev,
      en: active ? t.en : t.restoredEn,
      zh: active ? t.zh : t.restoredZh,
      ts: msg.ts,
      cause: msg.id,
      evidence: { msg_ids: [msg.id] },
      clear: !active,
    });
    return { state: next.strap || next.case ? next : undefined, alerts: [alert] };
  },
};
