import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CameraSimError } from './errors.js';
import { runFfmpeg } from './ffmpeg.js';

/** What a simulated camera can show. */
export const SCENES = ['empty', 'person', 'walk-in', 'group', 'person-down', 'face'] as const;
export type Scene = (typeof SCENES)[number];

export function isScene(value: unknown): value is Scene {
  return typeof value === 'string' && (SCENES as readonly string[]).includes(value);
}

/**
 * The shared test photos (`../shared/fixtures/images/` beside the project
 * root, MIT, from the Human library's samples). Their README asks that they are
 * not copied into the project, so the simulator reads them from there.
 */
export const DEFAULT_FRAMES_DIR = fileURLToPath(new URL('../../../../shared/fixtures/images/', import.meta.url));

/** The photos a scene is made from. */
const PHOTOS = { background: 'background.jpg', body: 'ai-body.jpg', group: 'group-1.jpg', face: 'person-vlado.jpg' } as const;

/** Seconds of the one-off start of a scene (the walk, the fade). */
const WALK_S = 4;
const GATHER_S = 2;

/** Raw yuv420p frames of one scene: `intro` plays once when the scene starts, then `loop` repeats. */
export interface SceneFrames {
  readonly intro: readonly Buffer[];
  readonly loop: readonly Buffer[];
}

export interface FrameFormat {
  width: number;
  height: number;
  fps: number;
}

/** Bytes of one yuv420p frame. */
export const frameBytes = (f: { width: number; height: number }): number => (f.width * f.height * 3) / 2;

/**
 * Renders scenes from the fixture photos with ffmpeg, once per scene, into
 * raw frames kept in memory (a 320x240 frame is 115 kB; the longest scene is
 * `WALK_S * fps` frames), so a camera's encoder only reads them from a pipe.
 */
export class SceneRenderer {
  private readonly cache = new Map<Scene, Promise<SceneFrames>>();
  private work?: Promise<string>;

  constructor(
    private readonly ffmpeg: string,
    private readonly framesDir: string,
    private readonly format: FrameFormat,
  ) {}

  render(scene: Scene): Promise<SceneFrames> {
    let frames = this.cache.get(scene);
    if (!frames) {
      frames = this.renderUncached(scene);
      frames.catch(() => this.cache.delete(scene));
      this.cache.set(scene, frames);
    }
    return frames;
  }

  /** Remove the temporary files (the person cut-out). */
  async close(): Promise<void> {
    const dir = await this.work?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private photo(name: keyof typeof PHOTOS): string {
    return join(this.framesDir, PHOTOS[name]);
  }

  private async checkPhotos(): Promise<void> {
    for (const name of Object.keys(PHOTOS) as (keyof typeof PHOTOS)[]) {
      const file = this.photo(name);
      await access(file).catch(() => {
        throw new CameraSimError('VIGIL_SIM_CAMERA_CONFIG', `framesDir: fixture photo missing: ${file} / 找不到样例图片：${file}`);
      });
    }
  }

  /**
   * The standing person with the studio's grey backdrop made transparent:
   * pixels close to the backdrop's grey that touch the border are flood-filled
   * and become the alpha mask (so the white dress keeps its highlights).
   */
  private cutout(): Promise<string> {
    this.work ??= (async () => {
      await this.checkPhotos();
      const dir = await mkdtemp(join(tmpdir(), 'vigil-cam-'));
      const side = 2 * Math.round((this.format.height * 0.85) / 2);
      const last = side - 1;
      const file = join(dir, `person-${side}.png`);
      await runFfmpeg(this.ffmpeg, [
        '-i', this.photo('body'),
        '-filter_complex',
        `[0]scale=${side}:${side},split[a][b];[a]format=rgba[c];` +
          `[b]format=gray,geq=lum='if(between(lum(X,Y),222,252),255,0)',` +
          `floodfill=x=0:y=0:s0=255:d0=128,floodfill=x=${last}:y=0:s0=255:d0=128,` +
          `floodfill=x=0:y=${last}:s0=255:d0=128,floodfill=x=${last}:y=${last}:s0=255:d0=128,` +
          `geq=lum='if(eq(lum(X,Y),128),0,255)'[m];[c][m]alphamerge`,
        '-frames:v', '1', '-y', file,
      ]);
      return file;
    })();
    return this.work;
  }

  private async renderUncached(scene: Scene): Promise<SceneFrames> {
    await this.checkPhotos();
    const { width: w, height: h, fps } = this.format;
    const bg = `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},setsar=1`;
    const still = (inputs: string[], graph: string) => this.frames([...inputs, '-filter_complex', graph, '-frames:v', '1']);
    const looped = (file: string) => ['-loop', '1', '-framerate', String(fps), '-i', file];
    switch (scene) {
      case 'empty':
        return { intro: [], loop: await still(['-i', this.photo('background')], `[0]${bg}`) };
      case 'person': {
        const person = await this.cutout();
        const side = 2 * Math.round((h * 0.85) / 2);
        return {
          intro: [],
          loop: await still(['-i', this.photo('background'), '-i', person], `[0]${bg}[bg];[bg][1]overlay=x=${Math.round((w - side) / 2)}:y=${h - side}`),
        };
      }
      case 'walk-in': {
        // A red marked area on the right; the person walks in from the left edge and stops inside it.
        const person = await this.cutout();
        const side = 2 * Math.round((h * 0.85) / 2);
        const area = { x: Math.round(w * 0.55), y: Math.round(h * 0.35), w: Math.round(w * 0.42), h: Math.round(h * 0.62) };
        const endX = Math.round(area.x + area.w / 2 - side / 2);
        const startX = -Math.round(side * 0.75);
        const graph =
          `[0]${bg},drawbox=x=${area.x}:y=${area.y}:w=${area.w}:h=${area.h}:color=red@0.9:t=3[bg];` +
          `[bg][1]overlay=x='${startX}+(${endX - startX})*min(t/${WALK_S},1)':y=${h - side}:eval=frame:shortest=1`;
        const all = await this.frames([...looped(this.photo('background')), ...looped(person), '-filter_complex', graph, '-frames:v', String(WALK_S * fps + 1)]);
        return { intro: all.slice(0, -1), loop: all.slice(-1) };
      }
      case 'group': {
        // The empty room fades into the group photo: people gather, then stay.
        const n = GATHER_S * fps;
        const graph = `[0]${bg}[a];[1]${bg}[b];[a][b]blend=all_expr='A*(1-min(T/${GATHER_S},1))+B*min(T/${GATHER_S},1)':shortest=1`;
        const all = await this.frames([...looped(this.photo('background')), ...looped(this.photo('group')), '-filter_complex', graph, '-frames:v', String(n + 1)]);
        return { intro: all.slice(0, -1), loop: all.slice(-1) };
      }
      case 'person-down': {
        // The standing body turned 90° lies on the floor.
        const person = await this.cutout();
        const side = 2 * Math.round((h * 0.85) / 2);
        const y = Math.min(h - Math.round(side * 0.7), h - side / 2);
        return {
          intro: [],
          loop: await still(['-i', this.photo('background'), '-i', person], `[0]${bg}[bg];[1]transpose=2[p];[bg][p]overlay=x=${Math.round((w - side) / 2)}:y=${y}`),
        };
      }
      case 'face':
        // A gate camera at the card reader: one man's head and shoulders fill the frame.
        return { intro: [], loop: await still(['-i', this.photo('face')], `[0]${bg}`) };
    }
  }

  private async frames(args: string[]): Promise<Buffer[]> {
    const raw = await runFfmpeg(this.ffmpeg, [...args, '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1']);
    const size = frameBytes(this.format);
    if (raw.length === 0 || raw.length % size !== 0) {
      throw new CameraSimError('VIGIL_SIM_CAMERA_FFMPEG', `scene render produced ${raw.length} bytes, not whole ${size}-byte frames`);
    }
    const out: Buffer[] = [];
    for (let i = 0; i < raw.length; i += size) out.push(raw.subarray(i, i + size));
    return out;
  }
}
