import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createLogger, type Logger } from './logger.js';

/** Options for `startMetricsServer`. */
export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to bind. Default 127.0.0.1: metrics are unauthenticated, so they stay on loopback unless asked. */
  host?: string;
  registry: Registry;
  logger?: Logger;
}

/** A listening metrics server. */
export interface MetricsServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serve `GET /metrics` (Prometheus text format) and `GET /healthz` (200 while
 * the process runs). A port of its own rather than the line-protocol server's:
 * that one is optional, token-authenticated and answers every path in
 * InfluxDB's error format, none of which suits a scraper.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const log = opts.logger ?? createLogger('ingest-metrics');
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': opts.registry.contentType }).end(text),
        (err: unknown) => {
          log.error({ err }, 'collecting metrics failed');
          res.writeHead(500).end();
        },
      );
    } else {
      res.writeHead(404).end();
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ host, port }, 'metrics listening');
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
