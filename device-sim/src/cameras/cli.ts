import { parseArgs } from 'node:util';
import { createLogger } from '../logger.js';
import { startCameras, type CameraSpec } from './cameras.js';
import { SCENES, isScene } from './scenes.js';

/** One camera per scene unless `--camera` says otherwise. */
const DEFAULT_CAMERAS: CameraSpec[] = SCENES.map((scene) => ({ id: `cam-${scene}`, scene }));

const USAGE = `usage / 用法:
  vigil-sim cameras [--port N] [--host ADDR] [--width W] [--height H] [--fps N] [--camera ID=SCENE ...] [--frames-dir DIR]
    --port        RTSP port players connect to (default 8554; 0 = any free port) / RTSP 端口
    --host        address to listen on (default 127.0.0.1; 0.0.0.0 for the network) / 监听地址
    --width       frame width, even (default 640) / 画面宽度（偶数）
    --height      frame height, even (default 480) / 画面高度（偶数）
    --fps         frames per second, 1-30 (default 10) / 帧率
    --camera      a camera and its scene, repeatable (default one per scene: cam-empty=empty ...) / 摄像头及场景，可重复
                  scenes / 场景: ${SCENES.join(', ')}
    --frames-dir  folder of the fixture photos (default ../shared/fixtures/images) / 样例图片目录
  stream URL / 流地址: rtsp://HOST:PORT/<camera id>`;

const bad = (what: string, why: string): never => {
  process.stderr.write(`vigil-sim cameras: ${what}: ${why} / 设置 ${what} 无效\n${USAGE}\n`);
  process.exit(78);
};

/**
 * `vigil-sim cameras`: serve simulated RTSP cameras until SIGINT/SIGTERM.
 * Prints `VIGIL_SIM_CAMERAS_READY <port>` and then one `<id> <url>` line per
 * camera. A bad setting exits 78 naming it.
 */
export async function runCamerasCli(argv: string[]): Promise<never> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        fps: { type: 'string' },
        camera: { type: 'string', multiple: true },
        'frames-dir': { type: 'string' },
      },
    }));
  } catch (err) {
    return bad('arguments', (err as Error).message);
  }
  const int = (name: string, v: string | undefined, dflt: number, min: number, max: number, even = false): number => {
    if (v === undefined) return dflt;
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max || (even && n % 2 !== 0)) {
      return bad(`--${name}`, `must be ${even ? 'an even' : 'an'} integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
  const port = int('port', values.port, 8554, 0, 65535);
  const width = int('width', values.width, 640, 64, 1920, true);
  const height = int('height', values.height, 480, 48, 1080, true);
  const fps = int('fps', values.fps, 10, 1, 30);
  const cameras = values.camera?.map((arg): CameraSpec => {
    const [id = '', scene = ''] = arg.split('=');
    if (!isScene(scene)) return bad('--camera', `${JSON.stringify(arg)}: scene must be one of ${SCENES.join(', ')}`);
    return { id, scene };
  }) ?? DEFAULT_CAMERAS;
  const log = createLogger('cameras');
  let sim;
  try {
    sim = await startCameras({ cameras, port, host: values.host ?? '127.0.0.1', width, height, fps, framesDir: values['frames-dir'], logger: log });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'VIGIL_SIM_CAMERA_CONFIG') return bad('cameras', e.message);
    if (e.code === 'VIGIL_SIM_CAMERA_RTSP') return bad('--port', e.message);
    throw err;
  }
  const running = sim;
  process.stdout.write(`VIGIL_SIM_CAMERAS_READY ${running.port}\n`);
  for (const cam of running.status()) process.stdout.write(`${cam.id} ${cam.url}\n`);
  return new Promise<never>(() => {
    const stop = () => {
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
