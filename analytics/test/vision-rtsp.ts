import { spawn, type ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import { RtspServer } from 'rtsp-streaming-server';

/** A loopback RTSP server for tests: publishers ANNOUNCE on `publishPort`, players pull from `port` over RTP/UDP. */
export interface TestRtsp {
  port: number;
  publishPort: number;
  url(path: string): string;
  publishUrl(path: string): string;
  unpublish(path: string): void;
  close(): Promise<void>;
}

const listen = (s: Server) =>
  new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });

/** Start `rtsp-streaming-server` (npm) on free loopback ports. */
export async function startTestRtsp(): Promise<TestRtsp> {
  const rtpPortStart = 20000 + 2 * Math.floor(Math.random() * 19000);
  const rtsp = new RtspServer({ serverPort: 0, clientPort: 0, rtpPortStart, rtpPortCount: 200 });
  const pub = rtsp.PublishServer.server as unknown as Server;
  const cli = rtsp.ClientServer.server as unknown as Server;
  const sockets = new Set<Socket>();
  for (const s of [pub, cli]) s.on('connection', (sock: Socket) => (sockets.add(sock), sock.once('close', () => sockets.delete(sock))));
  const publishPort = await listen(pub);
  const port = await listen(cli);
  const key = (path: string) => `rtsp://127.0.0.1:${publishPort}/${path}`;
  return {
    port,
    publishPort,
    url: (path) => `rtsp://127.0.0.1:${port}/${path}`,
    publishUrl: key,
    unpublish: (path) => rtsp.Mounts.deleteMount(key(path)),
    async close() {
      for (const path of Object.keys(rtsp.Mounts.mounts)) rtsp.Mounts.deleteMount(`rtsp://127.0.0.1:${publishPort}${path}`);
      for (const c of Object.values(rtsp.ClientServer.clients)) c.close();
      for (const s of sockets) s.destroy();
      await Promise.all([pub, cli].map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
    },
  };
}

/**
 * Publish a live H.264 stream (libx264) made from the fixture photos: `background`
 * alone for `quietS` seconds, then `person` overlaid at (x, y).
 */
export function publishScene(ffmpeg: string, url: string, o: { background: string; person: string; quietS: number; x: number; y: number; personH: number }): ChildProcess {
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-re', '-loop', '1', '-framerate', '10', '-i', o.background,
    '-loop', '1', '-framerate', '10', '-i', o.person,
    '-filter_complex', `[0:v]scale=320:240,setsar=1[bg];[1:v]scale=-2:${o.personH}[p];[bg][p]overlay=x=${o.x}:y=${o.y}:enable='gte(t,${o.quietS})',format=yuv420p[v]`,
    '-map', '[v]', '-t', '120',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-r', '10',
    '-f', 'rtsp', '-rtsp_transport', 'udp', url,
  ];
  return spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Poll `fn` every 100 ms until it gives a value; fail naming `what` after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
