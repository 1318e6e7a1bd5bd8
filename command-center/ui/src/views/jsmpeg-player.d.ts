// The few parts of @cycjimmy/jsmpeg-player (JSMpeg) the camera wall uses; the package ships no types.
declare module '@cycjimmy/jsmpeg-player' {
  export interface PlayerOptions {
    canvas: HTMLCanvasElement;
    audio?: boolean;
    autoplay?: boolean;
    loop?: boolean;
    pauseWhenHidden?: boolean;
    disableGl?: boolean;
    videoBufferSize?: number;
    reconnectInterval?: number;
    onSourceEstablished?: () => void;
    onSourceCompleted?: () => void;
    onVideoDecode?: () => void;
  }
  export class Player {
    constructor(url: string, options: PlayerOptions);
    play(): void;
    pause(): void;
    destroy(): void;
  }
  const JSMpeg: { Player: typeof Player };
  export default JSMpeg;
}
