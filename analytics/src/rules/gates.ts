import type { Message, MessageOf } from '@vigil/schemas';
import type { Compiled, DoorConfig } from '../compiled.js';
import { windowAt } from '../schedule.js';
import type { Rule, RuleStep } from './rule.js';
import type { AlertDraft } from './types.js';

/** One door: open since when, the last granted card, recent denials, the open alerts. */
export interface DoorState {
  site: string;
  dev: string;
  door: string;
  open: boolean;
  openSince: number;
  lastGrant: number;
  denials: number[];
  held: boolean;
  forced: boolean;
  tamper: boolean;
}

/** A door opening this soon after a granted card is that card's passage, not a forced entry. */
const GRANT_PASSAGE_MS = 15_000;

type Kind = 'forced' | 'held_open' | 'tamper' | 'denied' | 'anti_passback';
const TEXT: Record<Kind, { en: string; zh: string; sev: AlertDraft['severity'] }> = {
  forced: { en: 'Door forced open', zh: '门被强行打开', sev: 'critical' },
  held_open: { en: 'Door held open too long', zh: '门长时间未关闭', sev: 'high' },
  tamper: { en: 'Door controller tampered', zh: '门禁控制器被破坏', sev: 'critical' },
  denied: { en: 'Repeated access denials', zh: '多次刷卡被拒', sev: 'medium' },
  anti_passback: { en: 'Anti-passback violation', zh: '反潜回违规', sev: 'medium' },
};

export function doorDraft(c: Compiled, kind: Kind, s: { site: string; dev: string; door: string }, ts: number, cause: string, clear = false, extra: Partial<AlertDraft> = {}): AlertDraft {
  const d = c.doors.get(`${s.site}/${s.door}`);
  const name = d?.name ?? { en: s.door, 'zh-CN': s.door };
  const t = TEXT[kind];
  return {
    rule: `gate.${kind}`,
    key: `gate.${kind}:${s.site}:${s.door}`,
    severity: t.sev,
    site: s.site,
    dev: s.dev,
    title: { en: `${t.en}: ${name.en}`, 'zh-CN': `${t.zh}：${name['zh-CN']}` },
    ts,
    evidence: { door: s.door, msg_ids: cause.startsWith('timer:') ? [] : [cause] },
    cause,
    ...(clear ? { clear: true } : {}),
    ...extra,
  };
}

/** True if the door is unlocked by schedule at `ts` (open then is by design). */
export function unlockedBySchedule(d: DoorConfig | undefined, ts: number, c: Compiled): boolean {
  return !!d?.unlock && windowAt(d.unlock, ts, c.ruleSet.timezone) !== undefined;
}

const doorOf = (msg: Message) => (msg as MessageOf<'gate.state'>).body.door;

/**
 * Gates: forced open (the controller says so, or the door opened while
 * locked with no card granted just before), held open past `held_open_s`,
 * tamper, `denied_limit` denials within `denied_window_s`, and the
 * controller's own alarms. A door open during its scheduled unlock is by
 * design: no forced or held-open alarm then.
 */
export const gatesRule: Rule<DoorState> = {
  name: 'gates',
  kinds: ['gate.state', 'gate.access', 'gate.alarm'],
  entities: (msg, site) => [`${site}/${doorOf(msg)}`],
  step(state, _e, msg, site, c, now) {
    const door = doorOf(msg);
    const cfg = c.doors.get(`${site}/${door}`);
    const d = c.ruleSet.defaults;
    const s: DoorState = { ...(state ?? { site, dev: msg.dev, door, open: false, openSince: 0, lastGrant: -Infinity, denials: [], held: false, forced: false, tamper: false }), dev: msg.dev };
    const alerts: AlertDraft[] = [];
    const byDesign = unlockedBySchedule(cfg, msg.ts, c);
    if (msg.type === 'gate.access') {
      if (msg.body.granted) s.lastGrant = msg.ts;
      else {
        const windowMs = (cfg?.denied_window_s ?? d.denied_window_s) * 1000;
        s.denials = [...s.denials.filter((t) => t > msg.ts - windowMs), msg.ts];
        if (s.denials.length >= (cfg?.denied_limit ?? d.denied_limit)) {
          alerts.push(doorDraft(c, 'denied', s, msg.ts, msg.id));
          s.denials = [];
        }
      }
    } else if (msg.type === 'gate.state') {
      const b = msg.body;
      const opened = b.open && !s.open;
      if (opened) s.openSince = msg.ts;
      s.open = b.open;
      const forcedNow = !byDesign && (b.forced === true || (opened && b.locked && msg.ts - s.lastGrant > GRANT_PASSAGE_MS));
      if (forcedNow && !s.forced) {
        s.forced = true;
        alerts.push(doorDraft(c, 'forced', s, msg.ts, msg.id));
      } else if (s.forced && !b.open && b.forced !== true) {
        s.forced = false;
        alerts.push(doorDraft(c, 'forced', s, msg.ts, msg.id, true));
      }
      if (!b.open && s.held) {
        s.held = false;
        alerts.push(doorDraft(c, 'held_open', s, msg.ts, msg.id, true));
      }
      if (b.tamper !== undefined && b.tamper !== s.tamper) {
        s.tamper = b.tamper;
        alerts.push(doorDraft(c, 'tamper', s, msg.ts, msg.id, !b.tamper));
      }
    } else if (msg.type === 'gate.alarm') {
      const { alarm, active } = msg.body;
      const kind: Kind = alarm === 'denied_repeatedly' ? 'denied' : alarm;
      const designed = byDesign && (kind === 'forced' || kind === 'held_open');
      if (!designed || !active) alerts.push(doorDraft(c, kind, s, msg.ts, msg.id, !active));
      if (kind === 'tamper') s.tamper = active;
    }
    return { state: s, alerts, wakeAt: heldWake(s, cfg, c, Math.max(now, msg.ts)) };
  },
  wake(state, _e, c, now): RuleStep<DoorState> {
    const cfg = c.doors.get(`${state.site}/${state.door}`);
    const s = { ...state };
    const alerts: AlertDraft[] = [];
    const limit = (cfg?.held_open_s ?? c.ruleSet.defaults.held_open_s) * 1000;
    if (s.open && !s.held && now >= s.openSince + limit) {
      const w = cfg?.unlock ? windowAt(cfg.unlock, now, c.ruleSet.timezone) : undefined;
      if (w) {
        // Open by design until the unlock ends; held open counts from then.
        s.openSince = w.end;
      } else {
        s.held = true;
        alerts.push(doorDraft(c, 'held_open', s, now, `timer:held:${s.site}:${s.door}:${s.openSince}`));
      }
    }
    return { state: s, alerts, wakeAt: heldWake(s, cfg, c, now) };
  },
};

function heldWake(s: DoorState, cfg: DoorConfig | undefined, c: Compiled, _now: number): number | undefined {
  if (!s.open || s.held) return undefined;
  return s.openSince + (cfg?.held_open_s ?? c.ruleSet.defaults.held_open_s) * 1000;
}
