/**
 * MQTT 3.1.1 topic filter matching [MQTT-4.7]. Pure functions, no Aedes
 * internals, so the same rules hold if the broker is swapped for Mosquitto or EMQX.
 */

/** True if `topic` (no wildcards) matches `filter`. `$` topics only match filters that start with `$` [MQTT-4.7.2-1]. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') !== filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    // '#' also matches the parent level itself [MQTT-4.7.1-2]
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
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
