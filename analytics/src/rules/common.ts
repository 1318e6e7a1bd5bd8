import type { AlertEvidence, Severity } from '@vigil/schemas';
import type { Compiled } from '../compiled.js';
import type { AlertDraft } from './types.js';

/** A draft about one device, with its subject from the rule set. */
export function deviceDraft(
  c: Compiled,
  d: { rule: string; key: string; severity: Severity; site: string; dev: string; en: string; zh: string; ts: number; cause: string; evidence?: AlertEvidence; clear?: boolean; suppressed?: boolean },
): AlertDraft {
  const subject = c.ruleSet.subjects[d.dev];
  return {
    rule: d.rule,
    key: d.key,
    severity: d.severity,
    site: d.site,
    dev: d.dev,
    ...(subject ? { subject } : {}),
    title: { en: d.en, 'zh-CN': d.zh },
    ts: d.ts,
    evidence: d.evidence ?? {},
    cause: d.cause,
    ...(d.clear ? { clear: true } : {}),
    ...(d.suppressed ? { suppressed: true } : {}),
  };
}
