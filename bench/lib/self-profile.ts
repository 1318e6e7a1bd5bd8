/**
 * A V8 CPU profile of this process between start and stop, through node:inspector
 * (bench/ingest.ts: the broker's CPU during one run, without its start-up).
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { join } from 'node:path';

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
}

/** Start sampling every `intervalUs`; `stop` writes `<dir>/<name>.cpuprofile` and returns its path. */
export async function startProfile(intervalUs = 100): Promise<{ stop(dir: string, name: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: intervalUs });
  await post(session, 'Profiler.start');
  // VIGIL_BENCH_HEAP_PROFILE=1: also sample allocations (every 32 KiB on average), written as .heapprofile
  const heap = process.env.VIGIL_BENCH_HEAP_PROFILE === '1';
  if (heap) await post(session, 'HeapProfiler.startSampling', { samplingInterval: 32_768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop(dir, name) {
      const { profile } = (await post(session, 'Profiler.stop')) as { profile: object };
      const sampled = heap ? ((await post(session, 'HeapProfiler.stopSampling')) as { profile: object }).profile : undefined;
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}-${Date.now()}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      if (sampled !== undefined) await writeFile(file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(sampled));
      return file;
    },
  };
}
