import type { AlertEvidence, Severity } from '@vigil/schemas';

/**
 * What a rule asks for: raise (or fold into) the alert identified by `key`,
 * or, with `clear`, mark its condition returned to normal. Rules never make
 * ids or read clocks; the alert store does the rest.
 */
export interface AlertDraft {
  rule: string;
  key: string;
  severity: Severity;
  site: string;
  dev: string;
  subject?: string;
  title: { en: string; 'zh-CN': string };
  /** Event time of the condition (ms), from the message, never the wall clock. */
  ts: number;
  evidence: AlertEvidence;
  /** The condition returned to normal (restore event, left the zone): no new alert, the open one goes inactive. */
  clear?: boolean;
  /** Raised but not announced: suppressed by design (ISA-18.2). */
  suppressed?: boolean;
  /** The message id (or timer id) that caused this draft: a redelivery of the same cause does not count twice. */
  cause?: string;
}

/** The result of one rule step: the next state and the alerts to raise. */
export interface RuleResult<S> {
  state: S;
  alerts: AlertDraft[];
}
