import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

/** Options of startMetricsServer. */
export interface MetricsServerOptions {
  /** HTTP port; 0 picks a free one (see the returned `port`). */
  port: number;
  /** Interface to bind. Default `127.0.0.1`: metrics name devices and accounts, so keep them off the open network. */
  host?: string;
  registry: Registry;
  /** Whether the broker is serving; `/healthz` answers 503 when not. */
  healthy: () => boolean;
  log: Logger;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The port actually bound. */
  port: number;
  close(): Promise<void>;
}

/** Serve `GET /metrics` (Prometheus text format) and `GET /healthz` over plain HTTP. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed / 不允许的方法\n');
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        (err: unknown) => {
          opts.log.error({ err }, 'metrics collection failed / 指标采集失败');
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed / 指标采集失败\n');
        },
      );
      return;
    }
    if (path === '/healthz') {
      const ok = opts.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(ok ? 'ok\n' : 'unavailable / 不可用\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found / 未找到\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ metricsPort: port, host: opts.host ?? '127.0.0.1' }, 'metrics listening / 指标服务已启动');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
