import type { AlertEvidence, Severity } from '@vigil/schemas';

/**
 * What a rule asks for: raise (or fold into) the alert identified by `key`.
 * Rules never make ids or read clocks; the alert store does the rest.
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
}

/** The result of one rule step: the next state and the alerts to raise. */
export interface RuleResult<S> {
  state: S;
  alerts: AlertDraft[];
}
