import { en } from './i18n.en';
import type { Messages } from './i18n.types';
import { zh } from './i18n.zh';

export type { Messages } from './i18n.types';

/** The languages of the UI; every key exists in each (PRODUCT.md: complete, switchable). */
export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const STORAGE_KEY = 'vigil.lang';

/** Every user-facing string of the UI, in both languages. */
export const messages: Record<Lang, Messages> = { 'zh-CN': zh, en };

/** True if `s` is one of the UI languages. */
export function isLang(s: unknown): s is Lang {
  return typeof s === 'string' && (LANGS as readonly string[]).includes(s);
}

/** The remembered language, else the browser's (any `zh*` is Chinese), else English. */
export function initialLang(): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled (private mode, policy); fall back to the browser language.
  }
  if (isLang(saved)) return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Remember the operator's choice for the next visit. */
export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not fatal: the choice then lasts for this page only.
  }
}

const formatters = new Map<Lang, Intl.DateTimeFormat>();

/** A time formatted for the locale, with seconds (operators compare events to the second). */
export function formatTime(ms: number, lang: Lang): string {
  let f = formatters.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(lang, f);
  }
  return f.format(ms);
}

/** Every character of the UI's own strings in both languages (to load their CJK font slices up front). */
export function dictionaryText(): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') parts.push(v);
    else if (typeof v === 'function') parts.push(String((v as (n: number, m: number) => string)(2, 3)));
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(messages);
  return [...new Set(parts.join(''))].join('');
}
