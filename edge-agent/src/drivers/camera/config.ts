import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';

/** One camera the driver supervises. */
export const RtspCameraEntry = Type.Object(
  {
    /** The camera's device id: `cam.health` is published for it and `snapshot` commands arrive on its `cmd/#`. */
    id: Id,
    /** `rtsp://[user:password@]host[:port]/path` of the stream. */
    url: Type.String({ pattern: '^rtsps?://[^\\s]+$', maxLength: 1024 }),
    /** RTP transport; default `udp` (`tcp` interleaves RTP in the RTSP connection, which some servers refuse). */
    transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')])),
  },
  { additionalProperties: false },
);

/** The `config` block of an `rtsp-camera` driver. */
export const RtspCameraConfig = Type.Object(
  {
    cameras: Type.Array(RtspCameraEntry, { minItems: 1, maxItems: 256 }),
    /** Folder for snapshots (one sub-folder per camera), normally `<agent data dir>/snapshots`. */
    snapshotDir: Type.String({ minLength: 1, maxLength: 1024 }),
    /** A `cam.health` per camera at least this often (and at once on a change). Default 10 000 ms. */
    healthIntervalMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 3_600_000 })),
    /** No new frame for this long: the stream is offline and is reconnected. Default 5000 ms. */
    stallTimeoutMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 300_000 })),
    /** Longest wait for the first frame after (re)connecting (RTSP set-up and stream probing). Default 10 000 ms. */
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 300_000 })),
    /** Longest wait between reconnection attempts (doubling from 500 ms). Default 30 000 ms. */
    reconnectMaxDelayMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** Longest a snapshot may take (connect, wait for a key frame, decode). Default 15 000 ms. */
    snapshotTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 120_000 })),
    /** ffmpeg binary; default the one shipped by `@ffmpeg-installer/ffmpeg`. */
    ffmpegPath: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type RtspCameraConfig = Static<typeof RtspCameraConfig>;
export type RtspCameraEntry = Static<typeof RtspCameraEntry>;
