import type { SimEvent } from './events.js';

/**
 * NMEA 0183 as a GPS tag writes it (docs/nmea-framing.md): GGA, GSA and RMC
 * per fix, and Vigil's proprietary sentences — `$PVGLI` (who is talking),
 * `$PVGLH` (health), `$PVGLT` (tamper) — each `$…*hh\r\n` with the XOR
 * checksum of the characters between `$` and `*`. Written here independently
 * of the edge agent's parser, so one checks the other.
 */

/** XOR of every character between `$` and `*`, as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/** `$<body>*hh\r\n` */
export function sentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}\r\n`;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

function hhmmss(ts: number): string {
  const d = new Date(ts);
  const cs = Math.floor(d.getUTCMilliseconds() / 10);
  return `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(cs, 2)}`;
}

function ddmmyy(ts: number): string {
  const d = new Date(ts);
  return `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
}

/** Degrees as NMEA `(d)ddmm.mmmmm` with hemisphere. */
function dm(value: number, degWidth: number, pos: string, neg: string): [string, string] {
  const abs = Math.abs(value);
  let deg = Math.floor(abs);
  let min = Math.round((abs - deg) * 60 * 1e5) / 1e5;
  if (min >= 60) {
    deg += 1;
    min -= 60;
  }
  return [`${pad(deg, degWidth)}${min.toFixed(5).padStart(8, '0')}`, value < 0 ? neg : pos];
}

/** The sentences of one simulated event: GGA + GSA + RMC for a fix, PVGLH for health, PVGLT for tamper. */
export function encodeEvent(ev: SimEvent): string {
  switch (ev.type) {
    case 'tag.fix': {
      const b = ev.body;
      const [lat, ns] = dm(b.lat, 2, 'N', 'S');
      const [lon, ew] = dm(b.lon, 3, 'E', 'W');
      const t = hhmmss(ev.ts);
      const g = ev.gnss;
      const prns = [...g.prns.slice(0, 12).map((p) => pad(p, 2)), ...Array<string>(Math.max(0, 12 - g.prns.length)).fill('')];
      const knots = ((b.speed_mps ?? 0) * 3600) / 1852;
      return (
        sentence(`GPGGA,${t},${lat},${ns},${lon},${ew},1,${pad(b.sats ?? 0, 2)},${g.hdop.toFixed(1)},${(b.alt_m ?? 0).toFixed(1)},M,7.0,M,,`) +
        sentence(`GPGSA,A,3,${prns.join(',')},${g.pdop.toFixed(1)},${g.hdop.toFixed(1)},${g.vdop.toFixed(1)}`) +
        sentence(`GPRMC,${t},A,${lat},${ns},${lon},${ew},${knots.toFixed(2)},${(b.heading_deg ?? 0).toFixed(1)},${ddmmyy(ev.ts)},,,A`)
      );
    }
    case 'tag.health': {
      const b = ev.body;
      return sentence(`PVGLH,${ev.dev},${b.battery_pct.toFixed(1)},${b.rssi_dbm ?? ''},${b.charging ? 1 : 0},${b.temp_c ?? ''},${b.fw ?? ''}`);
    }
    case 'tag.tamper':
      return sentence(`PVGLT,${ev.dev},${ev.body.what},${ev.body.active ? 1 : 0}`);
  }
}

/** The first sentence on a tag's stream: `$PVGLI,<tag>,<firmware>`. */
export function identify(tagId: string, firmware: string): string {
  return sentence(`PVGLI,${tagId},${firmware}`);
}
