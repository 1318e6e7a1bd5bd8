import { seededRandom } from '../route.js';

/** A uniform random source in [0, 1). */
export type Rand = () => number;

/** FNV-1a over a string, mixed with a seed: a stable 32-bit number per (seed, key). */
export function hashKey(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * An independent random stream for one thing (a tag, a day of a subject's
 * routine) derived from the run's seed, so adding a tag does not change the
 * stream of any other.
 */
export function streamFor(seed: number, key: string): Rand {
  return seededRandom(hashKey(seed, key));
}

/** A standard normal draw (Box–Muller). */
export function gaussian(rand: Rand): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A uniform draw in [min, max). */
export function between(rand: Rand, min: number, max: number): number {
  return min + (max - min) * rand();
}
