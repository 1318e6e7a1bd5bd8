import { createServer, connect, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import type { Static } from '@sinclair/typebox';
import type { NmeaSource } from './config.js';

/** A byte stream the source opened; the driver wraps each in an NmeaStream. */
export interface OpenedStream {
  label: string;
  onData(fn: (chunk: Buffer) => void): void;
  pause(): void;
  resume(): void;
}

/** Callbacks from a source to the driver. */
export interface SourceEvents {
  /** A new stream; `closed` resolves when it ends. Returns the handler for its end. */
  opened(stream: OpenedStream): { ended(): Promise<void> };
  state(state: 'up' | 'degraded', detail: string): void;
}

/** A running source. */
export interface Source {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The TCP port listened on (tcp-listen), else null. */
  port(): number | null;
}

type Config = Static<typeof NmeaSource>;

/** Build the source a config names. */
export function createSource(cfg: Config, ev: SourceEvents): Source {
  switch (cfg.kind) {
    case 'tcp-listen':
      return tcpListen(cfg.host ?? '127.0.0.1', cfg.port, ev);
    case 'tcp-connect':
      return reconnecting(`tcp ${cfg.host}:${cfg.port}`, cfg.reconnectMs ?? 2000, ev, () => tcpConnect(cfg.host, cfg.port));
    case 'serial':
      return reconnecting(`serial ${cfg.path}`, cfg.reconnectMs ?? 2000, ev, () => serialOpen(cfg.path, cfg.baudRate ?? 9600));
  }
}

function socketStream(s: Socket, label: string): OpenedStream {
  return { label, onData: (fn) => s.on('data', fn), pause: () => s.pause(), resume: () => s.resume() };
}

/** The agent listens; every connection is one tag's stream (or a multiplexer's). */
function tcpListen(host: string, port: number, ev: SourceEvents): Source {
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  const ends = new Set<Promise<void>>();
  return {
    async start() {
      server = createServer((s) => {
        sockets.add(s);
        const label = `tcp ${s.remoteAddress}:${s.remotePort}`;
        const handle = ev.opened(socketStream(s, label));
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          const p = handle.ended();
          ends.add(p);
          void p.finally(() => ends.delete(p));
        });
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      const a = server.address() as { port: number };
      ev.state('up', `listening on ${host}:${a.port}`);
    },
    async stop() {
      if (!server) return;
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await Promise.all([...ends]);
      server = null;
    },
    port: () => (server?.address() as { port: number } | null)?.port ?? null,
  };
}

/** An opened connection: the stream, a way to close it, and a promise that settles when it closes. */
interface Link {
  stream: OpenedStream;
  close(): void;
  closed: Promise<string>;
}

function tcpConnect(host: string, port: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('error', reject);
    s.once('connect', () => {
      s.removeListener('error', reject);
      s.on('error', () => undefined);
      const closed = new Promise<string>((r) => s.once('close', () => r('connection closed')));
      resolve({ stream: socketStream(s, `tcp ${host}:${port}`), close: () => s.destroy(), closed });
    });
  });
}

function serialOpen(path: string, baudRate: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (err) return reject(err);
      port.on('error', () => undefined);
      const closed = new Promise<string>((r) => port.once('close', () => r('serial port closed')));
      resolve({
        stream: { label: `serial ${path}`, onData: (fn) => port.on('data', fn), pause: () => port.pause(), resume: () => port.resume() },
        close: () => {
          if (port.isOpen) port.close();
        },
        closed,
      });
    });
  });
}

/** Keep one outgoing link open: reconnect `reconnectMs` after it fails or closes, until stopped. */
function reconnecting(what: string, reconnectMs: number, ev: SourceEvents, open: () => Promise<Link>): Source {
  let stopped = false;
  let current: Link | null = null;
  let timer: NodeJS.Timeout | null = null;
  let loop: Promise<void> = Promise.resolve();
  const run = async () => {
    while (!stopped) {
      try {
        current = await open();
        if (stopped) {
          current.close();
          break;
        }
        ev.state('up', `${what} open`);
        const handle = ev.opened(current.stream);
        const why = await current.closed;
        await handle.ended();
        current = null;
        if (!stopped) ev.state('degraded', `${what}: ${why}, reconnecting in ${reconnectMs} ms`);
      } catch (err) {
        ev.state('degraded', `${what}: ${(err as Error).message}, retrying in ${reconnectMs} ms`);
      }
      if (stopped) break;
      await new Promise<void>((r) => (timer = setTimeout(r, reconnectMs)));
    }
  };
  return {
    async start() {
      loop = run();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      current?.close();
      await loop;
    },
    port: () => null,
  };
}
