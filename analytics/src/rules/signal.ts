import type { Message } from '@vigil/schemas';
import type { Compiled } from '../compiled.js';
import type { Rule, RuleStep } from './rule.js';
import { deviceDraft } from './common.js';

/** When a device was last heard from and last gave a position, and which loss alerts are open. */
export interface SignalState {
  site: string;
  lastSeen: number;
  lastFix?: number;
  commLost: boolean;
  locLost: boolean;
  /** The pending wake: kept while it is no later than the next deadline (a message only moves deadlines later), re-armed when it fires early. */
  armedAt?: number;
}

/**
 * Communication loss and location loss: a timer fed by event time (the
 * last message's time plus the buffer), fired by later messages of any
 * device or by the clock tick, never by reading the wall clock. Location
 * loss while communication is lost is suppressed by design (ISA-18.2: the
 * consequence of an alarm already raised). Any message clears communication
 * loss; a fix clears location loss.
 */
export const signalRule: Rule<SignalState> = {
  name: 'signal',
  kinds: ['tag.fix', 'tag.health', 'tag.tamper', 'gate.state', 'gate.access', 'gate.alarm', 'cam.health', 'agent.status', 'panic.press'],
  entities: (msg) => (msg.type === 'agent.status' && !msg.body.online ? [] : [msg.dev]),
  step(state, _e, msg, site, c) {
    const s: SignalState = state ? { ...state, site } : { site, lastSeen: msg.ts, commLost: false, locLost: false };
    const alerts = [];
    s.lastSeen = Math.max(s.lastSeen, msg.ts);
    if (s.commLost) {
      s.commLost = false;
      alerts.push(lossDraft(c, 'comm', s, msg.dev, msg.ts, msg.id, true));
    }
    if (msg.type === 'tag.fix') {
      s.lastFix = Math.max(s.lastFix ?? msg.ts, msg.ts);
      if (s.locLost) {
        s.locLost = false;
        alerts.push(lossDraft(c, 'loc', s, msg.dev, msg.ts, msg.id, true));
      }
    }
    const due = nextWake(s, c);
    // Keep the earlier timer (the wheel is not touched on every message); `wake` re-arms it.
    s.armedAt = s.armedAt !== undefined && due !== undefined && s.armedAt <= due && alerts.length === 0 ? s.armedAt : due;
    return { state: s, alerts, wakeAt: s.armedAt };
  },
  wake(state, dev, c, now): RuleStep<SignalState> {
    const s = { ...state };
    const d = c.ruleSet.defaults;
    const alerts = [];
    if (!s.commLost && now >= s.lastSeen + d.comm_loss_s * 1000) {
      s.commLost = true;
      alerts.push(lossDraft(c, 'comm', s, dev, s.lastSeen + d.comm_loss_s * 1000, `timer:comm:${dev}:${s.lastSeen}`, false));
    }
    if (s.lastFix !== undefined && !s.locLost && now >= s.lastFix + d.location_loss_s * 1000) {
      s.locLost = true;
      alerts.push(lossDraft(c, 'loc', s, dev, s.lastFix + d.location_loss_s * 1000, `timer:loc:${dev}:${s.lastFix}`, false));
    }
    s.armedAt = nextWake(s, c);
    return { state: s, alerts, wakeAt: s.armedAt };
  },
};

function nextWake(s: SignalState, c: Compiled): number | undefined {
  const d = c.ruleSet.defaults;
  const times: number[] = [];
  if (!s.commLost) times.push(s.lastSeen + d.comm_loss_s * 1000);
  if (!s.locLost && s.lastFix !== undefined) times.push(s.lastFix + d.location_loss_s * 1000);
  return times.length ? Math.min(...times) : undefined;
}

function lossDraft(c: Compiled, kind: 'comm' | 'loc', s: SignalState, dev: string, ts: number, cause: string, clear: boolean) {
  const comm = kind === 'comm';
  const last = comm ? s.lastSeen : s.lastFix!;
  return deviceDraft(c, {
    rule: comm ? 'signal.comm_loss' : 'signal.location_loss',
    key: `${comm ? 'signal.comm_loss' : 'signal.location_loss'}:${dev}`,
    severity: comm ? 'high' : 'medium',
    site: s.site,
    dev,
    en: comm ? (clear ? 'Communication restored' : 'Communication lost') : clear ? 'Location restored' : 'Location lost (no position fix)',
    zh: comm ? (clear ? '通信已恢复' : '通信中断') : clear ? '定位已恢复' : '定位丢失（无位置信息）',
    ts,
    cause,
    evidence: { last_seen_ts: last },
    clear,
    suppressed: !comm && !clear && s.commLost,
  });
}

export type { Message };
