/**
 * SMS length rules (3GPP TS 23.038 / 23.040), explicit:
 * - GSM 7-bit default alphabet: 160 characters in one message; the extension
 *   characters (^ { } \ [ ] ~ | €) count as two. Concatenated: 153 per part
 *   (the 6-byte UDH takes 7 septets).
 * - Anything else (Chinese): UCS-2, 70 characters in one message, 67 per part.
 *   A surrogate pair (emoji) takes two and is never split across parts.
 * Longer than `maxParts` parts: cut, ending with an ellipsis (the deep link
 * is kept whole by the caller putting it last and budgeting for it).
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = '^{}\\[~]|€';
const BASIC = new Set(GSM_BASIC);
const EXT = new Set(GSM_EXT);

export type SmsEncoding = 'gsm7' | 'ucs2';

/** SMPP data_coding for each: 0 = SMSC default (GSM 03.38), 8 = UCS-2. */
export const DATA_CODING: Record<SmsEncoding, number> = { gsm7: 0, ucs2: 8 };
export const SINGLE_LIMIT: Record<SmsEncoding, number> = { gsm7: 160, ucs2: 70 };
export const PART_LIMIT: Record<SmsEncoding, number> = { gsm7: 153, ucs2: 67 };

export interface SmsPlan {
  encoding: SmsEncoding;
  /** The text of each part (one part: no concatenation header). */
  parts: string[];
  /** True when the text was cut to fit `maxParts`. */
  truncated: boolean;
}

/** Length of `ch` in the encoding's units (septets or UTF-16 code units). */
function unitLength(ch: string, enc: SmsEncoding): number {
  if (enc === 'ucs2') return ch.length;
  return EXT.has(ch) ? 2 : 1;
}

export function smsEncodingOf(text: string): SmsEncoding {
  for (const ch of text) if (!BASIC.has(ch) && !EXT.has(ch)) return 'ucs2';
  return 'gsm7';
}

/** Total length in units of `text` in `enc`. */
export function smsLength(text: string, enc: SmsEncoding = smsEncodingOf(text)): number {
  let n = 0;
  for (const ch of text) n += unitLength(ch, enc);
  return n;
}

/** Split `text` into SMS parts within the limits above. */
export function planSms(text: string, maxParts = 4): SmsPlan {
  const encoding = smsEncodingOf(text);
  if (smsLength(text, encoding) <= SINGLE_LIMIT[encoding]) return { encoding, parts: [text], truncated: false };
  const limit = PART_LIMIT[encoding];
  const chars = [...text];
  const parts: string[] = [];
  let cur = '';
  let len = 0;
  let truncated = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const u = unitLength(ch, encoding);
    if (len + u > limit) {
      if (parts.length + 1 === maxParts) {
        truncated = true;
        break;
      }
      parts.push(cur);
      cur = '';
      len = 0;
    }
    cur += ch;
    len += u;
  }
  if (truncated) {
    // Room for the ellipsis ("..." in GSM, "…" in UCS-2) in the last part.
    const ell = encoding === 'gsm7' ? '...' : '…';
    const last = [...cur];
    while (smsLength(last.join('') + ell, encoding) > limit) last.pop();
    cur = last.join('') + ell;
  }
  parts.push(cur);
  return { encoding, parts, truncated };
}

/** The concatenation UDH (IEI 0x00, 8-bit reference) of part `seq` (1-based) of `total`. */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}
