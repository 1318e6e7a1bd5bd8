/**
 * MQTT 3.1.1 topic filter matching [MQTT-4.7]. Pure functions, no Aedes
 * internals, so the same rules hold if the broker is swapped for Mosquitto or EMQX.
 */

/** True if `topic` (no wildcards) matches `filter`. `$` topics only match filters that start with `$` [MQTT-4.7.2-1]. */
export function topicMatches(filter: string, topic: string): boolean {
  // Runs on every publish and every delivery: walk both strings level by level without allocating.
  if ((topic.charCodeAt(0) === DOLLAR) !== (filter.charCodeAt(0) === DOLLAR)) return false;
  let f = 0;
  let t = 0;
  for (;;) {
    const fEnd = levelEnd(filter, f);
    const single = fEnd - f === 1;
    // '#' also matches the parent level itself [MQTT-4.7.1-2]
    if (single && filter.charCodeAt(f) === HASH) return true;
    const tEnd = levelEnd(topic, t);
    if (!(single && filter.charCodeAt(f) === PLUS) && !sameLevel(filter, f, fEnd, topic, t, tEnd)) return false;
    const filterDone = fEnd === filter.length;
    const topicDone = tEnd === topic.length;
    if (filterDone || topicDone) {
      if (filterDone && topicDone) return true;
      // "a/#" matches "a": the filter's next level is a lone '#'
      return topicDone && filter.length - fEnd === 2 && filter.charCodeAt(fEnd + 1) === HASH;
    }
    f = fEnd + 1;
    t = tEnd + 1;
  }
}

const DOLLAR = 36;
const HASH = 35;
const PLUS = 43;

function levelEnd(s: string, from: number): number {
  const i = s.indexOf('/', from);
  return i < 0 ? s.length : i;
}

function sameLevel(a: string, aFrom: number, aEnd: number, b: string, bFrom: number, bEnd: number): boolean {
  if (aEnd - aFrom !== bEnd - bFrom) return false;
  for (let i = 0; i < aEnd - aFrom; i++) if (a.charCodeAt(aFrom + i) !== b.charCodeAt(bFrom + i)) return false;
  return true;
}

/**
 * True if every topic that `requested` matches is also matched by `allowed`,
 * i.e. a subscription to `requested` cannot receive anything outside `allowed`.
 */
export function filterWithin(allowed: string, requested: string): boolean {
  if (requested.startsWith('$') !== allowed.startsWith('$')) return false;
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    const level = a[i];
    if (level === '#') return true;
    if (i >= r.length) return false;
    const want = r[i];
    if (want === '#') return false;
    if (level === '+') continue;
    if (want === '+' || want !== level) return false;
  }
  return a.length === r.length;
}

/** True if `s` holds an MQTT wildcard or level separator, which ids must never contain [MQTT-4.7.1-1]. */
export function hasTopicSpecials(s: string): boolean {
  return /[+#/]/.test(s);
}
