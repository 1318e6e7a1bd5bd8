import type { Alert, AlertAction, AlertState, Disposition } from '@vigil/schemas';

/** The part of an alert the lifecycle reads. */
export type LifecycleView = Pick<Alert, 'state'> & Partial<Pick<Alert, 'acked' | 'active'>>;

/** Why an action was refused; `field` names the missing or bad input. */
export interface LifecycleRefusal {
  ok: false;
  code: 'not_found' | 'invalid_transition' | 'missing_field';
  field?: string;
  message: string;
  /** The same message in both languages, for the operator's screen. */
  text: { en: string; 'zh-CN': string };
}

/** Every operator action, in the order a UI shows them. */
export const ALERT_ACTIONS: readonly AlertAction[] = [
  'acknowledge',
  'dispatch',
  'arrive',
  'resolve',
  'shelve',
  'unshelve',
  'out_of_service',
  'return_to_service',
];

/** States in which the condition's alert is closed: a new occurrence opens a new alert (after the cooldown). */
export const CLOSED_STATES: readonly AlertState[] = ['resolved', 'normal'];

/** The workflow state an alert settles in from its two ISA-18.2 dimensions. */
export function settledState(acked: boolean, active: boolean): AlertState {
  if (!acked) return 'raised';
  return active ? 'acknowledged' : 'normal';
}

interface Row {
  from: readonly AlertState[];
  to(a: Required<LifecycleView>): AlertState;
  /** The action marks the alert acknowledged (dispatching or resolving implies having seen it). */
  acks: boolean;
}

/**
 * The transition table (ARCHITECTURE.md "Alerts, dispatch, disposal", ISA-18.2):
 * from which states each action is allowed and where it leads.
 */
export const TRANSITIONS: Readonly<Record<AlertAction, Row>> = {
  acknowledge: { from: ['raised'], to: (a) => settledState(true, a.active), acks: true },
  shelve: { from: ['raised', 'acknowledged'], to: () => 'shelved', acks: false },
  unshelve: { from: ['shelved'], to: (a) => settledState(a.acked, a.active), acks: false },
  dispatch: { from: ['raised', 'acknowledged', 'dispatched'], to: () => 'dispatched', acks: true },
  arrive: { from: ['dispatched'], to: () => 'on_scene', acks: true },
  resolve: { from: ['raised', 'acknowledged', 'dispatched', 'on_scene', 'shelved'], to: () => 'resolved', acks: true },
  out_of_service: { from: ['raised', 'acknowledged', 'shelved', 'suppressed'], to: () => 'out_of_service', acks: false },
  return_to_service: { from: ['out_of_service'], to: (a) => settledState(a.acked, a.active), acks: false },
};

const ACTION_ZH: Record<AlertAction, string> = {
  acknowledge: '确认',
  shelve: '搁置',
  unshelve: '取消搁置',
  dispatch: '派警',
  arrive: '到达现场',
  resolve: '处置完毕',
  out_of_service: '停用维护',
  return_to_service: '恢复使用',
};

/**
 * Where `action` takes `alert`: the next state and whether it becomes
 * acknowledged, or an `invalid_transition` refusal. Pure.
 */
export function nextState(alert: LifecycleView, action: AlertAction): { ok: true; state: AlertState; acked: boolean } | LifecycleRefusal {
  const row = TRANSITIONS[action];
  if (!row) return refuse('invalid_transition', `unknown action "${String(action)}"`, `未知操作"${String(action)}"`, 'action');
  const view = { state: alert.state, acked: alert.acked ?? alert.state !== 'raised', active: alert.active ?? true };
  if (!row.from.includes(view.state)) {
    return refuse('invalid_transition', `cannot ${action} an alert that is ${view.state}`, `处于"${view.state}"状态的告警不能${ACTION_ZH[action]}`);
  }
  return { ok: true, state: row.to(view), acked: view.acked || row.acks };
}

/** The actions allowed on `alert` now, for the API to show. */
export function allowedActions(alert: LifecycleView): AlertAction[] {
  return ALERT_ACTIONS.filter((a) => nextState(alert, a).ok);
}

/** The disposition codes and their labels in both languages. */
export const DISPOSITIONS: Readonly<Record<Disposition, { en: string; 'zh-CN': string }>> = {
  violation_confirmed: { en: 'Violation confirmed', 'zh-CN': '确认违规' },
  false_alarm: { en: 'False alarm', 'zh-CN': '误报' },
  equipment_fault: { en: 'Equipment fault', 'zh-CN': '设备故障' },
  authorised: { en: 'Authorised (permission given)', 'zh-CN': '已获批准' },
  test: { en: 'Test', 'zh-CN': '测试' },
  duplicate: { en: 'Duplicate', 'zh-CN': '重复告警' },
  other: { en: 'Other', 'zh-CN': '其他' },
};

/** The input of an action beyond the alert and the actor. */
export interface ActionFields {
  reason?: string;
  /** Shelve until (ms since epoch). */
  until?: number;
  officerId?: string;
  disposition?: string;
  note?: string;
}

/** Longest shelving allowed: shelving is temporary by definition (ISA-18.2). */
export const MAX_SHELVE_MS = 7 * 24 * 3_600_000;

/**
 * Check the fields an action needs: shelve needs `until` (in the future,
 * at most `MAX_SHELVE_MS` ahead) and `reason`; dispatch an `officerId`;
 * resolve a known `disposition` and a `note`. Pure: `now` is passed in.
 */
export function checkActionFields(action: AlertAction, f: ActionFields, now: number): LifecycleRefusal | undefined {
  const blank = (s: string | undefined) => s === undefined || s.trim() === '';
  switch (action) {
    case 'shelve':
      if (f.until === undefined || !Number.isFinite(f.until)) return refuse('missing_field', 'shelving needs "until" (ms since epoch)', '搁置需要填写截止时间（until）', 'until');
      if (f.until <= now) return refuse('missing_field', '"until" must be in the future', '截止时间（until）必须晚于当前时间', 'until');
      if (f.until - now > MAX_SHELVE_MS) return refuse('missing_field', '"until" may be at most 7 days ahead', '搁置最长 7 天（until）', 'until');
      if (blank(f.reason)) return refuse('missing_field', 'shelving needs a "reason"', '搁置需要填写原因（reason）', 'reason');
      return undefined;
    case 'dispatch':
      if (blank(f.officerId)) return refuse('missing_field', 'dispatch needs an "officerId"', '派警需要指定警员（officerId）', 'officerId');
      return undefined;
    case 'resolve':
      if (blank(f.disposition)) return refuse('missing_field', 'resolving needs a "disposition" code', '处置完毕需要填写处置结果（disposition）', 'disposition');
      if (!Object.hasOwn(DISPOSITIONS, f.disposition!)) {
        return refuse('missing_field', `unknown disposition "${f.disposition}"; one of ${Object.keys(DISPOSITIONS).join(', ')}`, `未知处置结果"${f.disposition}"`, 'disposition');
      }
      if (blank(f.note)) return refuse('missing_field', 'resolving needs a "note"', '处置完毕需要填写说明（note）', 'note');
      return undefined;
    default:
      return undefined;
  }
}

/** A refusal with its message in English and Chinese. */
export function refuse(code: LifecycleRefusal['code'], en: string, zh: string, field?: string): LifecycleRefusal {
  return { ok: false, code, ...(field ? { field } : {}), message: en, text: { en, 'zh-CN': zh } };
}
