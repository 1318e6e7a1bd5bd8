import { Type } from '@sinclair/typebox';
import type { DriverContext, DriverPlugin } from '../src/index.js';

/** Test-only: the test drives `emit` itself through the context kept here, and counts command executions. */
export const probes = new Map<string, { ctx: DriverContext; executions: { device: string; name: string; args: Record<string, unknown> }[] }>();

export const probePlugin: DriverPlugin = {
  type: 'probe',
  configSchema: Type.Object(
    {
      devices: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    },
    { additionalProperties: false },
  ),
  create(config, ctx) {
    const devices = (config as { devices: string[] }).devices;
    const executions: { device: string; name: string; args: Record<string, unknown> }[] = [];
    probes.set(ctx.name, { ctx, executions });
    return {
      devices: () => devices,
      start: async () => ctx.setState('up'),
      stop: async () => {
        probes.delete(ctx.name);
      },
      async command(device, name, args) {
        if (name !== 'ping') return { status: 'refused', detail: `unknown command ${name}` };
        executions.push({ device, name, args });
        return { status: 'ok', detail: 'pong', result: { n: executions.length } };
      },
    };
  },
};

/** Test-only: emits `count` tag.health messages from `device` as fast as the queue takes them, printing `ACKED <n>` after each resolved batch. */
export const counterPlugin: DriverPlugin = {
  type: 'counter',
  configSchema: Type.Object(
    {
      device: Type.String({ minLength: 1 }),
      count: Type.Integer({ minimum: 0 }),
      batch: Type.Integer({ minimum: 1, default: 200 }),
      /** Message i carries ts = ts_base + i. */
      ts_base: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  create(raw, ctx) {
    const config = raw as { device: string; count: number; batch: number; ts_base: number };
    let stopped = false;
    let done: Promise<void> = Promise.resolve();
    return {
      devices: () => [config.device],
      async start() {
        done = (async () => {
          for (let i = 0; i < config.count && !stopped; i += config.batch) {
            const n = Math.min(config.batch, config.count - i);
            await Promise.all(Array.from({ length: n }, (_, k) => ctx.emit(config.device, 'tag.health', { battery_pct: 50 }, { ts: config.ts_base + i + k })));
            process.stdout.write(`ACKED ${i + n}\n`);
          }
        })();
      },
      async stop() {
        stopped = true;
        await done.catch(() => undefined);
      },
    };
  },
};
