/**
 * Storm control, per recipient address on one channel (people's channels and
 * devices; webhooks to other systems get every alert on its own):
 * - grouping: the first alert of a kind (rule at a site) goes out at once; more of
 *   the same kind within `groupWindowMs` are folded into one message sent when
 *   the window ends;
 * - rate limit: at most `maxPerMinute` messages in any 60 s;
 * - digest: once the limit is hit, everything else until it frees up goes into
 *   one digest message sent then (so the digest is the only message over the limit).
 * In memory per runner: a restart starts the counts again (the outbox keeps the rows).
 */
export interface StormOptions {
  groupWindowMs: number;
  maxPerMinute: number;
  /** The window of the rate limit; default 60 s ("per minute"). */
  rateWindowMs?: number;
  /** A batch stops taking alerts this long before it is due, so its row is complete when claimed. */
  closeMarginMs?: number;
}

export const DEFAULT_STORM: StormOptions = { groupWindowMs: 30_000, maxPerMinute: 6, closeMarginMs: 250 };

export type StormDecision =
  | { action: 'send' }
  /** Put the alert into the batch row `batchId`; `isNew`: the row is to be created, due at `sendAt`. */
  | { action: 'group' | 'digest'; batchId: string; isNew: boolean; sendAt: number };

interface Batch {
  id: string;
  sendAt: number;
}
interface RecipientState {
  /** Times messages (rows) were created for this recipient, last 60 s. */
  sent: number[];
  /** Leading-edge time of each kind, and its open batch. */
  lastLead: Map<string, number>;
  groups: Map<string, Batch>;
  digest: Batch | null;
}

export function createStormControl(opts: StormOptions, newId: () => string) {
  const margin = opts.closeMarginMs ?? 250;
  const MINUTE = opts.rateWindowMs ?? 60_000;
  const states = new Map<string, RecipientState>();

  function state(key: string): RecipientState {
    let s = states.get(key);
    if (!s) {
      s = { sent: [], lastLead: new Map(), groups: new Map(), digest: null };
      states.set(key, s);
    }
    return s;
  }

  function openBatch(b: Batch | null | undefined, now: number): b is Batch {
    return b != null && now < b.sendAt - margin;
  }

  return {
    /** Decide what to do with one alert of kind `kind` for `recipientKey` at `now`. */
    decide(recipientKey: string, kind: string, now: number): StormDecision {
      const s = state(recipientKey);
      while (s.sent.length && s.sent[0]! <= now - MINUTE) s.sent.shift();
      const group = s.groups.get(kind);
      if (openBatch(group, now)) return { action: 'group', batchId: group.id, isNew: false, sendAt: group.sendAt };
      if (openBatch(s.digest, now)) return { action: 'digest', batchId: s.digest.id, isNew: false, sendAt: s.digest.sendAt };
      if (s.sent.length >= opts.maxPerMinute) {
        // Over the limit: one digest, due when the oldest message leaves the window.
        const sendAt = Math.max(s.sent[0]! + MINUTE, now + margin * 2);
        s.digest = { id: newId(), sendAt };
        s.sent.push(sendAt);
        return { action: 'digest', batchId: s.digest.id, isNew: true, sendAt };
      }
      const lead = s.lastLead.get(kind);
      if (lead !== undefined && now - lead < opts.groupWindowMs) {
        const sendAt = Math.max(lead + opts.groupWindowMs, now + margin * 2);
        const b = { id: newId(), sendAt };
        s.groups.set(kind, b);
        // The group's own window: the next one of this kind after it goes out opens a new group.
        s.lastLead.set(kind, sendAt);
        s.sent.push(now);
        return { action: 'group', batchId: b.id, isNew: true, sendAt };
      }
      s.lastLead.set(kind, now);
      s.sent.push(now);
      return { action: 'send' };
    },
    /** Forget recipients idle for over `groupWindowMs` and a minute (memory bound). */
    prune(now: number): void {
      for (const [k, s] of states) {
        const last = Math.max(s.sent.at(-1) ?? 0, ...s.lastLead.values());
        if (now - last > MINUTE + opts.groupWindowMs) states.delete(k);
      }
    },
    size: () => states.size,
  };
}
export type StormControl = ReturnType<typeof createStormControl>;
