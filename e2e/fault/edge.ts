import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type pg from 'pg';
import { registerDevice } from '@vigil/broker';
import { createLogger, startAgent, validateConfig, type DriverContext, type DriverPlugin, type RunningAgent } from '@vigil/edge-agent';
import { startRelay, type Relay } from './relay.js';

/** One message an edge device handed to the agent, identified by (device, ts): the agent makes the envelope. */
export interface EdgeRecord {
  dev: string;
  ts: number;
  type: 'tag.fix' | 'tag.tamper';
  window: number;
  /** emit() resolved: committed to the agent's disk queue (what the agent acknowledges to its device). */
  committed: boolean;
}

/** An edge agent in this process behind a relay the test can cut, fed by a driver the test drives. */
export interface EdgeRun {
  agentId: string;
  devices: string[];
  agent: RunningAgent;
  relay: Relay;
  log: EdgeRecord[];
  setWindow(window: number): void;
  /** Start feeding `ratePerS` fixes a second spread over the devices; `stopFeed` stops. */
  feed(ratePerS: number): void;
  stopFeed(): Promise<void>;
  /** Emit `n` fixes at once (as fast as the queue takes them). */
  burst(n: number): Promise<void>;
  tamper(deviceIndex: number): Promise<EdgeRecord>;
  stop(): Promise<void>;
}

const holder = new Map<string, DriverContext>();

/** A driver whose context the fault suite drives directly (devices from its config). */
const feederPlugin: DriverPlugin = {
  type: 'fault-feeder',
  configSchema: Type.Object({ devices: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) }, { additionalProperties: false }),
  create(config, ctx) {
    const devices = (config as { devices: string[] }).devices;
    holder.set(ctx.name, ctx);
    return {
      devices: () => devices,
      start: async () => ctx.setState('up'),
      stop: async () => void holder.delete(ctx.name),
    };
  },
};

/** Register the agent and its devices (behind it), then start it connecting through a relay to the broker. */
export async function startEdge(o: {
  pool: pg.Pool;
  site: string;
  agentId: string;
  brokerPort: number;
  deviceCount: number;
  maxMessages?: number;
}): Promise<EdgeRun> {
  const secret = `${o.agentId}-secret-0123456789abcdef`;
  const devices = Array.from({ length: o.deviceCount }, (_, i) => `${o.agentId}-tag-${i}`);
  await registerDevice(o.pool, { id: o.agentId, siteId: o.site, kind: 'agent', secret });
  for (const id of devices) await registerDevice(o.pool, { id, siteId: o.site, kind: 'tag', secret: `${id}-unused-secret-0123456789`, gatewayId: o.agentId });
  const relay = await startRelay(o.brokerPort);
  const dir = mkdtempSync(join(tmpdir(), `vigil-fault-${o.agentId}-`));
  const config = validateConfig(
    {
      site: o.site,
      agent_id: o.agentId,
      broker: { url: `mqtt://127.0.0.1:${relay.port}`, reconnect_ms: 500 },
      queue: o.maxMessages === undefined ? {} : { max_messages: o.maxMessages },
      status_interval_s: 5,
      drivers: [{ name: `feed-${o.agentId}`, type: 'fault-feeder', config: { devices } }],
    },
    [feederPlugin],
  );
  const agent = await startAgent({ config, dataDir: dir, plugins: [feederPlugin], credentials: { secret }, log: createLogger(o.agentId, (process.env.VIGIL_FAULT_AGENT_LOG ?? 'silent') as 'silent') });
  const ctx = holder.get(`feed-${o.agentId}`)!;
  const log: EdgeRecord[] = [];
  let window = 0;
  // distinct ts per message, never behind the clock: (device, ts) names it in the database
  let ts = 0;
  let n = 0;
  const emit = async (type: EdgeRecord['type'], dev: string): Promise<EdgeRecord> => {
    ts = Math.max(ts + 1, Date.now());
    const rec: EdgeRecord = { dev, ts, type, window, committed: false };
    log.push(rec);
    if (type === 'tag.fix') await ctx.emit(dev, 'tag.fix', { lat: 29.9 + (n % 97) / 1e4, lon: 121.9 + (n % 89) / 1e4, acc_m: 5 }, { ts: rec.ts });
    else await ctx.emit(dev, 'tag.tamper', { what: 'strap', active: true }, { ts: rec.ts });
    rec.committed = true;
    return rec;
  };
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<unknown>[] = [];
  return {
    agentId: o.agentId,
    devices,
    agent,
    relay,
    log,
    setWindow: (w) => void (window = w),
    feed(ratePerS) {
      const everyMs = 100;
      const perTick = ratePerS / (1000 / everyMs);
      let owed = 0;
      timer = setInterval(() => {
        owed += perTick;
        for (; owed >= 1; owed--) inflight.push(emit('tag.fix', devices[n++ % devices.length]!));
        if (inflight.length > 1000) inflight = inflight.slice(-1000);
      }, everyMs);
    },
    async stopFeed() {
      clearInterval(timer);
      await Promise.all(inflight);
      inflight = [];
    },
    async burst(count) {
      const all: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) all.push(emit('tag.fix', devices[n++ % devices.length]!));
      await Promise.all(all);
    },
    tamper: (i) => emit('tag.tamper', devices[i]!),
    async stop() {
      clearInterval(timer);
      await agent.stop();
      await relay.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
