// Live video for the camera wall: MPEG-TS (MPEG-1 video) over the API's WebSocket, decoded by JSMpeg
// (WebAssembly, WebGL or 2D canvas). Loaded on demand so the main bundle stays small.
import type { Player } from '@cycjimmy/jsmpeg-player';

let loading: Promise<typeof Player> | undefined;

/**
 * Import JSMpeg. The package injects a `<style>` for its own player chrome when it loads, which the strict
 * Content-Security-Policy refuses (and reports); we draw on our own canvas and need none of it, so inline
 * `<style>` elements are dropped while the module evaluates (the policy would refuse any of them anyway).
 */
function loadPlayer(): Promise<typeof Player> {
  loading ??= (async () => {
    const head = document.head;
    const append = head.appendChild;
    head.appendChild = function <T extends Node>(this: HTMLHeadElement, node: T): T {
      return node instanceof HTMLStyleElement ? node : append.call(this, node) as T;
    };
    try {
      return (await import('@cycjimmy/jsmpeg-player')).default.Player;
    } finally {
      head.appendChild = append;
    }
  })();
  return loading;
}

/** The WebSocket address of a camera's live route (`/api/cameras/:id/live`) on this origin. */
export const liveUrl = (path: string): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;

/** Play `path` on `canvas`; `onFrame` after each decoded frame. Returns the function that stops it. */
export async function playLive(canvas: HTMLCanvasElement, path: string, on: { frame: () => void; open: () => void; closed: () => void }): Promise<() => void> {
  const PlayerClass = await loadPlayer();
  const player = new PlayerClass(liveUrl(path), {
    canvas,
    audio: false,
    autoplay: true,
    pauseWhenHidden: false,
    videoBufferSize: 512 * 1024,
    reconnectInterval: 5,
    onSourceEstablished: on.open,
    onSourceCompleted: on.closed,
    onVideoDecode: on.frame,
  });
  return () => player.destroy();
}
