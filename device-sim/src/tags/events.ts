import type { BodyOf } from '@vigil/schemas';

/** GNSS figures a receiver reports beside a fix (what NMEA GGA and GSA carry). */
export interface GnssDetail {
  hdop: number;
  pdop: number;
  vdop: number;
  /** Satellite PRNs used in the fix. */
  prns: number[];
  /** Where the wearer really was (before GPS error), for tests and the NMEA driver's checks. */
  truth: { lat: number; lon: number };
  /** This fix is a deliberate outlier (far off, as multipath makes). */
  outlier: boolean;
}

/** What a simulated device produced at `ts` (sim clock): one Vigil message body, with its kind. */
export type SimEvent =
  | { dev: string; site: string; ts: number; type: 'tag.fix'; body: BodyOf<'tag.fix'>; gnss: GnssDetail }
  | { dev: string; site: string; ts: number; type: 'tag.health'; body: BodyOf<'tag.health'> }
  | { dev: string; site: string; ts: number; type: 'tag.tamper'; body: BodyOf<'tag.tamper'> };

/** The MQTT channel each kind goes on: tamper is a discrete event, the rest periodic telemetry. */
export function channelOf(ev: SimEvent): 'telemetry' | 'event' {
  return ev.type === 'tag.tamper' ? 'event' : 'telemetry';
}
