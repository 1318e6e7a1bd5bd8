import type { ServerResponse } from 'node:http';

/**
 * Error codes of InfluxDB 2.x (kit/platform/errors), with the HTTP status its
 * error handler sends for each. Clients such as Telegraf decide from the
 * status whether to retry (5xx, 429), split the batch (413) or drop it (400).
 */
export const INFLUX_ERROR_STATUS = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not found': 404,
  'method not allowed': 405,
  'request too large': 413,
  'internal error': 500,
  unavailable: 503,
} as const;

/** One of the InfluxDB 2.x error codes used here. */
export type InfluxErrorCode = keyof typeof INFLUX_ERROR_STATUS;

/** A refused write, answered in the format of the API that was called. */
export class InfluxHttpError extends Error {
  readonly status: number;

  constructor(
    readonly code: InfluxErrorCode,
    message: string,
    /** v1 wording, where InfluxDB 1.x says it differently from 2.x. */
    readonly v1Message: string = message,
    /** Seconds for a Retry-After header (503). */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'InfluxHttpError';
    this.status = INFLUX_ERROR_STATUS[code];
  }
}

/**
 * Send an error as InfluxDB 2.x does: `{"code":"invalid","message":"..."}`,
 * with the code also in the `X-Platform-Error-Code` header.
 */
export function sendV2Error(res: ServerResponse, err: InfluxHttpError): void {
  send(res, err, { 'Content-Type': 'application/json; charset=utf-8', 'X-Platform-Error-Code': err.code }, { code: err.code, message: err.message });
}

/** Send an error as InfluxDB 1.x's /write does: `{"error":"..."}`, the message also in `X-Influxdb-Error`. */
export function sendV1Error(res: ServerResponse, err: InfluxHttpError): void {
  send(res, err, { 'Content-Type': 'application/json', 'X-Influxdb-Error': headerSafe(err.v1Message) }, { error: err.v1Message });
}

function send(res: ServerResponse, err: InfluxHttpError, headers: Record<string, string>, body: object): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  if (err.retryAfterS !== undefined) headers['Retry-After'] = String(err.retryAfterS);
  res.writeHead(err.status, { ...headers, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

// A header value may hold only visible ASCII here (no newlines of a multi-line parse error, no
// characters Node refuses); the body keeps the full text. InfluxDB also caps the header at 256 characters.
function headerSafe(message: string): string {
  return message.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 256);
}
