import assert from 'node:assert/strict';
import { deviceTopic, newMessage, validate, type BodyOf, type MessageKind } from '@vigil/schemas';
import { pino } from 'pino';
import type { DriverContext, DriverState } from '../src/index.js';

export interface Emitted {
  device: string;
  type: MessageKind;
  body: Record<string, unknown>;
  ts: number | undefined;
}

/** A DriverContext for driver tests: checks every emit is a valid Vigil message and records it, with states and counts. */
export function recordingContext(site: string) {
  const emits: Emitted[] = [];
  const states: Array<{ state: DriverState; detail?: string }> = [];
  const counts = new Map<string, number>();
  let seq = 0;
  const ctx: DriverContext = {
    name: 'gates',
    site,
    log: pino({ level: 'silent' }),
    async emit<K extends MessageKind>(device: string, type: K, body: BodyOf<K>, opts?: { ts?: number }) {
      const msg = newMessage(type, device, ++seq, body, opts?.ts);
      const v = validate(deviceTopic(site, device, 'event'), JSON.stringify(msg));
      assert.ok(v.ok, `invalid ${type}: ${JSON.stringify(v)}`);
      emits.push({ device, type, body: body as Record<string, unknown>, ts: opts?.ts });
    },
    setState: (state, detail) => states.push({ state, detail }),
    count: (reason, n = 1) => counts.set(reason, (counts.get(reason) ?? 0) + n),
  };
  return { ctx, emits, states, counts };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
