import { Type } from '@sinclair/typebox';

/**
 * Site and device ids become MQTT topic levels, so they may not hold the
 * wildcards `+`, `#` or the separator `/` [MQTT-4.7.1-1]; we allow a safe
 * subset that is also a valid file name and URL segment.
 */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const ID_RE = new RegExp(ID_PATTERN);

/** True if `s` can be used as a site or device id. */
export function isValidId(s: string): boolean {
  return ID_RE.test(s);
}

/** A site, device or subject id: 1–64 characters, no MQTT wildcards or separators. */
export const Id = Type.String({ pattern: ID_PATTERN, minLength: 1, maxLength: 64 });

/** RFC 9562 UUID (any version; envelopes use v7). */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const Uuid = Type.String({ pattern: UUID_PATTERN, minLength: 36, maxLength: 36 });

/** Milliseconds since the Unix epoch, between 2000-01-01 and 2100-01-01. */
export const EpochMs = Type.Integer({ minimum: 946_684_800_000, maximum: 4_102_444_800_000 });

/** A short free-text field (names, labels, reasons). */
export const ShortText = (maxLength = 128) => Type.String({ minLength: 1, maxLength });

/** WGS 84 latitude in degrees. */
export const Lat = Type.Number({ minimum: -90, maximum: 90 });
/** WGS 84 longitude in degrees. */
export const Lon = Type.Number({ minimum: -180, maximum: 180 });
