import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IngestError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import type { IngestRecord } from '../records.js';
import { InfluxHttpError, sendV1Error, sendV2Error } from './influx-errors.js';
import type { LpTokenIdentity } from './tokens.js';
import { handleWrite, type LpWriteOptions, type WriteApi } from './write.js';

/** Options for `startLpHttpServer`. Units are in the names. */
export interface LpHttpServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Who a token writes as (e.g. `lpTokenCache(pool)`), or undefined to refuse it. */
  authenticate(token: string): Promise<LpTokenIdentity | undefined>;
  /** Store rows through the ingest batcher (`Ingest.submit`); resolves after the commit. */
  submit(records: IngestRecord[]): Promise<void>;
  /** Largest body, on the wire and after gunzip. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Most lines in one write. Default 5000 (the batch size of InfluxDB's own clients and CLI). */
  maxLines?: number;
  /** Longest wait for the commit before a 503. Default 10 000. */
  commitTimeoutMs?: number;
  logger?: Logger;
}

/** A listening line-protocol HTTP server. */
export interface LpHttpServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  /** Stop accepting, let writes in flight finish (their commit is awaited), then close every connection. */
  close(): Promise<void>;
}

// Sent on /ping, which InfluxDB clients call to check a server; says what answers.
const VERSION_HEADERS = { 'X-Influxdb-Version': 'vigil-ingest', 'X-Influxdb-Build': 'OSS' };

/**
 * Serve InfluxDB-compatible line-protocol writes over HTTP, so Telegraf and
 * other agents feed Vigil unchanged: `POST /api/v2/write` (v2, `Authorization:
 * Token`), `POST /write` (v1), `GET|HEAD /ping`. 204 only after the database commit.
 *
 * node:http rather than Fastify: every answer, even for an unknown path, a
 * wrong method or an oversized body, must be InfluxDB's exact error format,
 * which Fastify's own 404, 415 and body-limit replies would each need
 * overriding for; and the gunzip limit is one zlib option here, where Fastify
 * needs a replacement stream in a preParsing hook. Three routes need no router.
 */
export async function startLpHttpServer(opts: LpHttpServerOptions): Promise<LpHttpServer> {
  const log = opts.logger ?? createLogger('ingest-http');
  const writeOpts: LpWriteOptions = {
    authenticate: opts.authenticate,
    submit: opts.submit,
    maxBodyBytes: opts.maxBodyBytes ?? 8 * 1024 * 1024,
    maxLines: opts.maxLines ?? 5_000,
    commitTimeoutMs: opts.commitTimeoutMs ?? 10_000,
    logger: log,
  };
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const done = route(req, res)
      .catch((err: unknown) => {
        log.error({ err }, 'line protocol request failed');
        if (!res.headersSent) res.writeHead(500).end();
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  // A slow or stalled client may not hold a connection for ever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const api: WriteApi | undefined = url.pathname === '/api/v2/write' ? 'v2' : url.pathname === '/write' ? 'v1' : undefined;
    if (api === undefined) {
      if (url.pathname === '/ping' && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(204, VERSION_HEADERS).end();
        return;
      }
      req.resume();
      sendV2Error(res, new InfluxHttpError('not found', 'path not found'));
      return;
    }
    const sendError = api === 'v2' ? sendV2Error : sendV1Error;
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('Allow', 'POST');
      sendError(res, new InfluxHttpError('method not allowed', `allow: POST`, 'Method Not Allowed'));
      return;
    }
    try {
      await handleWrite(api, req, url, writeOpts);
      res.writeHead(204).end();
    } catch (err) {
      const refusal = err instanceof InfluxHttpError ? err : undefined;
      if (!refusal) log.error({ err, api }, 'line protocol write failed');
      // Whatever of the body is still unread is not wanted: close the connection after answering.
      if (!req.complete) res.setHeader('Connection', 'close');
      else req.resume();
      sendError(res, refusal ?? new InfluxHttpError('internal error', 'unexpected error writing points to database'));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new IngestError('VIGIL_INGEST_HTTP', `line protocol HTTP server cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port}: ${err.message}`, { cause: err })));
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => log.error({ err }, 'line protocol HTTP server error'));
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  log.info({ url }, 'line protocol HTTP server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.allSettled([...inFlight]);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
