import type { Server, Socket } from 'node:net';
import { RtspServer } from 'rtsp-streaming-server';
import { CameraSimError } from './errors.js';

/** Options of the RTSP server the simulated cameras publish to. */
export interface RtspServerOptions {
  /** Port players connect to (0 picks a free one). */
  port: number;
  /** Address players connect to; `127.0.0.1` keeps it local. */
  host: string;
  /** First of the UDP ports for RTP/RTCP pairs (even); a random one in 20000–32000 when omitted. */
  rtpPortStart?: number;
  /** How many UDP ports the server may use (two per publisher or player). */
  rtpPortCount?: number;
}

/** A running RTSP server: cameras publish on a loopback port, players pull from `port`. */
export interface SimRtspServer {
  /** The port players use. */
  readonly port: number;
  /** The loopback port ffmpeg publishes to. */
  readonly publishPort: number;
  /** Play URL of a stream path. */
  url(path: string, host?: string): string;
  /** Publish URL of a stream path. */
  publishUrl(path: string): string;
  /** True once a publisher's RECORD has set the path up (players can DESCRIBE it). */
  isPublished(path: string): boolean;
  /** Forget a stream path (its publisher is gone), so it can be published again; players get no more packets. */
  unpublish(path: string): void;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new CameraSimError('VIGIL_SIM_CAMERA_RTSP', `RTSP server cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/**
 * `rtsp-streaming-server` (npm, maintained; GPL-3.0, used by the simulator
 * only, never by the shipped services): producers ANNOUNCE/RECORD over RTP/UDP,
 * players DESCRIBE/SETUP/PLAY over RTP/UDP (its TCP interleaving is refused).
 * Its own `start()` binds every interface; here the publish side listens on
 * loopback only and the play side where asked.
 */
export async function startRtspServer(opts: RtspServerOptions): Promise<SimRtspServer> {
  const rtpPortCount = opts.rtpPortCount ?? 400;
  // Below Linux's ephemeral range (32768+), so the pairs rarely meet a port the system handed to someone else.
  const rtpPortStart = opts.rtpPortStart ?? 20000 + 2 * Math.floor(Math.random() * ((32000 - 20000 - rtpPortCount) / 2));
  const rtsp = new RtspServer({ serverPort: 0, clientPort: opts.port, rtpPortStart, rtpPortCount });
  const publishServer = rtsp.PublishServer.server as unknown as Server;
  const clientServer = rtsp.ClientServer.server as unknown as Server;
  const sockets = new Set<Socket>();
  for (const s of [publishServer, clientServer]) {
    s.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
    });
  }
  const publishPort = await listen(publishServer, 0, '127.0.0.1');
  let port: number;
  try {
    port = await listen(clientServer, opts.port, opts.host);
  } catch (err) {
    await closeServer(publishServer);
    throw err;
  }
  const mountKey = (path: string) => `rtsp://127.0.0.1:${publishPort}/${path}`;
  const playHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    port,
    publishPort,
    url: (path, host = playHost) => `rtsp://${host}:${port}/${path}`,
    publishUrl: mountKey,
    isPublished(path) {
      const mount = rtsp.Mounts.getMount(mountKey(path));
      return !!mount && Object.values(mount.streams).some((st) => st.listenerRtp !== undefined);
    },
    unpublish(path) {
      rtsp.Mounts.deleteMount(mountKey(path));
    },
    async close() {
      for (const path of Object.keys(rtsp.Mounts.mounts)) rtsp.Mounts.deleteMount(`rtsp://127.0.0.1:${publishPort}${path}`);
      for (const client of Object.values(rtsp.ClientServer.clients)) client.close();
      for (const sock of sockets) sock.destroy();
      await Promise.all([closeServer(publishServer), closeServer(clientServer)]);
    },
  };
}
