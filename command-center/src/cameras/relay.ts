import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../logger.js';

/** Options of the camera relay. */
export interface CameraRelayOptions {
  /** The ffmpeg binary (`@ffmpeg-installer/ffmpeg`'s path, or the system's). */
  ffmpegPath: string;
  /** RTSP transport; default ffmpeg's own choice (UDP, then TCP). */
  rtspTransport?: 'tcp' | 'udp';
  /** MPEG-1 video bit rate, e.g. `1000k`. */
  videoBitrate?: string;
  /** A viewer further behind than this many bytes is dropped (a slow link must not hold the others). */
  maxBufferedBytes?: number;
  logger?: Logger;
}

interface Feed {
  proc: ChildProcessByStdio<null, Readable, Readable>;
  viewers: Set<WebSocket>;
}

/**
 * RTSP to the browser: one ffmpeg per camera being watched turns the stream into MPEG-TS
 * with MPEG-1 video (what JSMpeg decodes), and its output goes to every viewer's WebSocket
 * as binary frames; the process stops when the last viewer leaves. This is what
 * node-rtsp-stream does, but behind our own session and scope checks on our own port
 * (node-rtsp-stream opens its own unauthenticated WebSocket server and is unmaintained).
 */
export function createCameraRelay(opts: CameraRelayOptions) {
  const feeds = new Map<string, Feed>();
  const maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;

  const start = (cameraId: string, url: string): Feed => {
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      ...(opts.rtspTransport && url.startsWith('rtsp') ? ['-rtsp_transport', opts.rtspTransport] : []),
      '-i', url,
      // MPEG-1 allows only the standard frame rates: 25 fps whatever the camera sends (frames repeated or dropped).
      '-f', 'mpegts', '-codec:v', 'mpeg1video', '-r', '25', '-b:v', opts.videoBitrate ?? '1000k', '-bf', '0', '-an',
      '-',
    ];
    const proc = spawn(opts.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const feed: Feed = { proc, viewers: new Set() };
    proc.stdout.on('data', (chunk: Buffer) => {
      for (const ws of feed.viewers) {
        if (ws.bufferedAmount > maxBuffered) {
          ws.close(1013, 'too slow');
          continue;
        }
        ws.send(chunk, { binary: true });
      }
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    proc.on('exit', (code, signal) => {
      if (feeds.get(cameraId) === feed) feeds.delete(cameraId);
      if (feed.viewers.size > 0) opts.logger?.warn({ camera: cameraId, code, signal, stderr: stderr.trim() }, 'camera stream ended');
      for (const ws of feed.viewers) ws.close(1011, 'camera stream ended');
      feed.viewers.clear();
    });
    proc.on('error', (err) => opts.logger?.error({ err, camera: cameraId }, 'ffmpeg could not start'));
    feeds.set(cameraId, feed);
    return feed;
  };

  return {
    /** Add a viewer of `cameraId`; the feed starts with the first and stops after the last. */
    watch(cameraId: string, url: string, ws: WebSocket): void {
      const feed = feeds.get(cameraId) ?? start(cameraId, url);
      feed.viewers.add(ws);
      ws.on('close', () => {
        feed.viewers.delete(ws);
        if (feed.viewers.size === 0 && feeds.get(cameraId) === feed) {
          feeds.delete(cameraId);
          feed.proc.kill('SIGTERM');
        }
      });
    },
    /** Cameras being relayed now, with their viewer counts. */
    active(): Record<string, number> {
      return Object.fromEntries([...feeds].map(([id, f]) => [id, f.viewers.size]));
    },
    close(): void {
      for (const [, f] of feeds) {
        for (const ws of f.viewers) ws.close(1001, 'server stopping');
        f.proc.kill('SIGTERM');
      }
      feeds.clear();
    },
  };
}
export type CameraRelay = ReturnType<typeof createCameraRelay>;
