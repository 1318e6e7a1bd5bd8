import type { Severity } from '@vigil/schemas';

/** A shape per severity, so colour is never the only signal (WCAG 1.4.1). */
export const SEVERITY_ICON: Record<Severity, string> = { critical: '◆', high: '▲', medium: '●', low: '○' };
