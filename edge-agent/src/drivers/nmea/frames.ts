import { isValidId, type BodyOf } from '@vigil/schemas';

/** A proprietary frame turned into a message, or why not. */
export type Frame =
  | { ok: true; tag: string; type: 'tag.health'; body: BodyOf<'tag.health'> }
  | { ok: true; tag: string; type: 'tag.tamper'; body: BodyOf<'tag.tamper'> }
  | { ok: false; detail: string };

const num = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s));

/** `$PVGLH,<tag>,<battery %>,<rssi dBm>,<charging 0|1>,<temp °C>,<fw>`; all but tag and battery may be empty. */
export function healthFrame(f: string[]): Frame {
  const [tag = '', battery, rssi, charging, temp, fw] = f;
  if (!isValidId(tag)) return { ok: false, detail: `PVGLH: bad tag id ${JSON.stringify(tag)}` };
  const b = num(battery);
  if (b === undefined || !Number.isFinite(b) || b < 0 || b > 100) return { ok: false, detail: `PVGLH: battery ${JSON.stringify(battery)} not 0–100` };
  const body: BodyOf<'tag.health'> = { battery_pct: b };
  const r = num(rssi);
  if (r !== undefined) {
    if (!Number.isFinite(r) || r < -150 || r > 0) return { ok: false, detail: `PVGLH: rssi ${JSON.stringify(rssi)} not -150–0` };
    body.rssi_dbm = r;
  }
  if (charging !== undefined && charging !== '') {
    if (charging !== '0' && charging !== '1') return { ok: false, detail: `PVGLH: charging ${JSON.stringify(charging)} not 0|1` };
    body.charging = charging === '1';
  }
  const t = num(temp);
  if (t !== undefined) {
    if (!Number.isFinite(t) || t < -60 || t > 100) return { ok: false, detail: `PVGLH: temp ${JSON.stringify(temp)} not -60–100` };
    body.temp_c = t;
  }
  if (fw !== undefined && fw !== '') {
    if (fw.length > 32) return { ok: false, detail: 'PVGLH: firmware longer than 32' };
    body.fw = fw;
  }
  return { ok: true, tag, type: 'tag.health', body };
}

/** `$PVGLT,<tag>,strap|case,1|0` */
export function tamperFrame(f: string[]): Frame {
  const [tag = '', what, active] = f;
  if (!isValidId(tag)) return { ok: false, detail: `PVGLT: bad tag id ${JSON.stringify(tag)}` };
  if (what !== 'strap' && what !== 'case') return { ok: false, detail: `PVGLT: ${JSON.stringify(what)} not strap|case` };
  if (active !== '0' && active !== '1') return { ok: false, detail: `PVGLT: ${JSON.stringify(active)} not 1|0` };
  return { ok: true, tag, type: 'tag.tamper', body: { what, active: active === '1' } };
}
