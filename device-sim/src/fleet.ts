import type { DemoTag } from './demo.js';
import { startSimTag, type SimTag } from './tag.js';

/** Options of a fleet of simulated tags sharing one broker. */
export interface FleetOptions {
  mqttUrl: string;
  tags: readonly DemoTag[];
  tagSecret: string;
  fixIntervalMs: number;
  noiseM: number;
  accuracyM: number;
}

/** A running fleet. */
export interface Fleet {
  tags: SimTag[];
  close(): Promise<void>;
}

/** Start every tag of the fleet; if one cannot connect, stop the others and throw. */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const started = await Promise.allSettled(
    opts.tags.map((t, i) =>
      startSimTag({
        mqttUrl: opts.mqttUrl,
        site: t.siteId,
        id: t.id,
        secret: opts.tagSecret,
        route: t.route,
        fixIntervalMs: opts.fixIntervalMs,
        healthEveryFixes: 12,
        noiseM: opts.noiseM,
        accuracyM: opts.accuracyM,
        seed: i + 1,
      }),
    ),
  );
  const tags = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(tags.map((t) => t.close()));
    throw failed.reason;
  }
  return { tags, close: async () => void (await Promise.all(tags.map((t) => t.close()))) };
}
