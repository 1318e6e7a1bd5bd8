import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../src/vision/cli.ts');

function runCli(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', CLI], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stderr }));
  });
}

const camera = { id: 'cam-1', site: 'prison-north', url: 'rtsp://127.0.0.1:8554/yard', width: 320, height: 240, fps: 2, zones: [{ id: 'fence', kind: 'restricted', polygon: [[0, 0], [100, 0], [100, 100]] }] };

test('vigil-vision: a bad setting exits 78 and names it, the field inside the cameras file too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-vision-cli-'));
  try {
    const file = (name: string, body: unknown) => writeFile(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body)).then(() => join(dir, name));
    const db = { DATABASE_URL: 'postgres://127.0.0.1:1/vigil' };
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...db }, /VIGIL_VISION_CAMERAS_FILE/],
      [{ ...db, VIGIL_VISION_CAMERAS_FILE: await file('bad-fps.json', { cameras: [{ ...camera, fps: 0 }] }) }, /VIGIL_VISION_CAMERAS_FILE: .*bad-fps\.json: \/cameras\/0\/fps/],
      [{ ...db, VIGIL_VISION_CAMERAS_FILE: await file('bad-zone.json', { cameras: [{ ...camera, zones: [{ id: 'z', kind: 'crowd', polygon: [[0, 0], [1, 0], [1, 1]] }] }] }) }, /maxPeople/],
      [{ ...db, VIGIL_VISION_CAMERAS_FILE: await file('twice.json', { cameras: [camera, camera] }) }, /\/cameras\/1\/id cam-1 appears twice/],
      [{ ...db, VIGIL_VISION_CAMERAS_FILE: await file('not-json.json', '{ cameras: ') }, /cannot read as JSON/],
      [{ ...db, VIGIL_VISION_CAMERAS_FILE: await file('ok.json', { cameras: [camera] }), VIGIL_VISION_BACKEND: 'gpu' }, /VIGIL_VISION_BACKEND must be wasm or tensorflow/],
      [{ DATABASE_URL: 'http://x', VIGIL_VISION_CAMERAS_FILE: await file('ok2.json', { cameras: [camera] }) }, /DATABASE_URL/],
    ];
    for (const [env, re] of cases) {
      const r = await runCli(env);
      assert.equal(r.code, 78, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /配置项/, 'the message is in Chinese too');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
