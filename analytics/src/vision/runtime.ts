import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { createLogger } from '../logger.js';
import { VisionError } from './errors.js';

const require = createRequire(import.meta.url);

/** The TensorFlow.js backends we can run on, best first. */
export type BackendName = 'tensorflow' | 'wasm';

/** Human's public surface as we use it (typed loosely: the dist bundle ships no per-file types we can import by path). */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type HumanInstance = any;
export type Tf = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A loaded runtime: Human, its tfjs, the backend chosen and why. */
export interface VisionRuntime {
  human: HumanInstance;
  tf: Tf;
  backend: BackendName;
  /** Why this backend: the tfjs-node load error when it fell back to WASM. */
  reason: string;
  modelsDir: string;
  /**
   * Human's detect, one call at a time: several cameras and check-ins share
   * one runtime, and Human keeps per-call state on the instance.
   */
  detect(input: unknown, config?: Record<string, unknown>): Promise<HumanResult>;
}

/** The parts of Human's result we read. */
export interface HumanResult {
  face: Array<{ box: number[]; score: number; embedding?: number[]; real?: number; live?: number; rotation?: { angle: { yaw: number; pitch: number; roll: number } } | null }>;
  body: Array<{ score: number; box: number[]; keypoints: Array<{ part: string; position: [number, number, number?]; score: number }> }>;
  object: Array<{ label: string; score: number; box: number[] }>;
}

/** Which modules to enable when loading Human. */
export interface RuntimeOptions {
  /** Force a backend (tests, benchmarks); default: tfjs-node if it loads, else wasm. */
  backend?: BackendName;
  /** Load the face models (detector, mesh, description, anti-spoofing, liveness). Default true. */
  face?: boolean;
  /** Load object detection and body pose. Default true. */
  body?: boolean;
  logger?: Logger;
}

/** The folder of a package's file, resolved without its `exports` map (Human's is broken for subpaths). */
function packageDir(name: string): string {
  const main = require.resolve(name);
  let dir = dirname(main);
  while (!dir.endsWith(join('node_modules', ...name.split('/')))) {
    const up = dirname(dir);
    if (up === dir) throw new VisionError('VIGIL_VISION_RUNTIME', `cannot find the folder of ${name}`);
    dir = up;
  }
  return dir;
}

/** The folder holding Human's model files. */
export function humanModelsDir(): string {
  return join(humanDir(), 'models');
}

function humanDir(): string {
  // require.resolve('@vladmandic/human') goes through `exports` ("require" -> dist/human.node.js): fine for finding the folder.
  return packageDir('@vladmandic/human');
}

/**
 * Pick the backend: tfjs-node when it loads (its native library present), else WASM.
 * `tryLoad` is injectable so the choice itself is testable on a machine without tfjs-node.
 */
export function chooseBackend(
  forced: BackendName | undefined,
  tryLoad: () => unknown = () => require('@tensorflow/tfjs-node'),
): { backend: BackendName; reason: string } {
  if (forced === 'wasm') return { backend: 'wasm', reason: 'asked for wasm' };
  try {
    tryLoad();
    return { backend: 'tensorflow', reason: forced ? 'asked for tensorflow' : '@tensorflow/tfjs-node loaded' };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    if (forced === 'tensorflow') throw new VisionError('VIGIL_VISION_RUNTIME', `@tensorflow/tfjs-node was asked for but does not load: ${msg}`, { cause: err });
    return { backend: 'wasm', reason: `@tensorflow/tfjs-node does not load (${msg}); using @tensorflow/tfjs-backend-wasm` };
  }
}

let routerInstalled = false;

/**
 * On WASM there is no file-system IO handler: route `file://` model URLs to a
 * handler that reads `model.json` and its weight shards from disk.
 */
function installFileLoadRouter(tf: Tf): void {
  if (routerInstalled) return;
  routerInstalled = true;
  tf.io.registerLoadRouter((url: string | string[]) => {
    const u = Array.isArray(url) ? url[0] : url;
    if (typeof u !== 'string' || !u.startsWith('file://')) return null;
    const path = fileURLToPath(u);
    return {
      load: async () => {
        const json = JSON.parse(await readFile(path, 'utf8'));
        const dir = dirname(path);
        const specs = [];
        const buffers: Buffer[] = [];
        for (const group of json.weightsManifest ?? []) {
          specs.push(...group.weights);
          for (const p of group.paths) buffers.push(await readFile(join(dir, p)));
        }
        const all = Buffer.concat(buffers);
        const { weightsManifest: _manifest, ...rest } = json;
        return {
          ...rest,
          weightSpecs: specs,
          weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        };
      },
    };
  });
}

/**
 * Load Human and tfjs on the chosen backend with the models from disk.
 * Logs the backend and why it was chosen.
 */
export async function loadRuntime(opts: RuntimeOptions = {}): Promise<VisionRuntime> {
  const log = opts.logger ?? createLogger('vision');
  const { backend, reason } = chooseBackend(opts.backend);
  const dir = humanDir();
  const file = join(dir, 'dist', backend === 'tensorflow' ? 'human.node.js' : 'human.node-wasm.js');
  const mod = require(file);
  const Human = mod.Human ?? mod.default;
  const modelsDir = humanModelsDir();
  const face = opts.face !== false;
  const body = opts.body !== false;
  const wasmDir = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + '/';
  const human = new Human({
    backend,
    wasmPath: wasmDir,
    wasmPlatformFetch: false,
    modelBasePath: pathToFileURL(modelsDir).href + '/',
    debug: false,
    async: true,
    warmup: 'none',
    cacheSensitivity: 0,
    filter: { enabled: false },
    face: {
      enabled: face,
      detector: { enabled: face, rotation: false, maxDetected: 20, minConfidence: 0.3, return: false },
      mesh: { enabled: face },
      iris: { enabled: false },
      description: { enabled: face },
      emotion: { enabled: false },
      antispoof: { enabled: face },
      liveness: { enabled: face },
      attention: { enabled: false },
      gear: { enabled: false },
    },
    body: { enabled: body, modelPath: 'movenet-lightning.json', maxDetected: 1 },
    object: { enabled: body, modelPath: 'centernet.json', minConfidence: 0.3, maxDetected: 20 },
    hand: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  if (backend === 'wasm') installFileLoadRouter(human.tf);
  await human.init();
  await human.load();
  log.info({ backend: human.tf.getBackend(), reason, modelsDir }, 'tfjs backend chosen');
  let queue: Promise<unknown> = Promise.resolve();
  const detect = (input: unknown, config?: Record<string, unknown>): Promise<HumanResult> => {
    const run = queue.then(() => human.detect(input, config) as Promise<HumanResult>);
    queue = run.catch(() => undefined);
    return run;
  };
  return { human, tf: human.tf, backend, reason, modelsDir, detect };
}
