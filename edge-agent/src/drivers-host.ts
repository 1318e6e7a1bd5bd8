import type { TSchema } from '@sinclair/typebox';
import { compiledCheck, check, deviceTopic, isMessageKind, isValidId, MESSAGE_KINDS, newMessage, type BodyOf, type MessageKind } from '@vigil/schemas';
import type { AgentConfig } from './config-schema.js';
import type { CommandOutcome, Driver, DriverContext, DriverPlugin, DriverState, Priority } from './driver.js';
import { EdgeError } from './errors.js';
import type { Logger } from './logger.js';
import { defaultPriority } from './priority.js';
import type { DiskQueue } from './queue.js';

/** One driver's state as reported in `agent.status.drivers`. */
export interface DriverStatus {
  type: string;
  state: DriverState;
  detail?: string;
}

interface Instance {
  name: string;
  type: string;
  driver: Driver;
  status: DriverStatus;
  counts: Record<string, number>;
  closed: boolean;
}

const bodySchema = (kind: MessageKind): TSchema => (MESSAGE_KINDS[kind].schema.properties as { body: TSchema }).body;
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/**
 * Creates, starts and stops the configured drivers, gives each its context
 * (emit into the disk queue, state, counters) and routes commands to the
 * driver that owns a device.
 */
export class DriverHost {
  private instances: Instance[] = [];

  constructor(
    private readonly opts: { site: string; plugins: readonly DriverPlugin[]; queue: DiskQueue; log: Logger; onChange: () => void },
  ) {}

  /** Create and start every driver of `drivers` (validated config); a driver that fails to start is reported `down`. */
  async start(drivers: AgentConfig['drivers']): Promise<void> {
    for (const entry of drivers) {
      const plugin = this.opts.plugins.find((p) => p.type === entry.type);
      if (plugin === undefined) throw new EdgeError('VIGIL_EDGE_CONFIG', `unknown driver type ${entry.type}`);
      const inst: Instance = { name: entry.name, type: entry.type, driver: undefined as unknown as Driver, status: { type: entry.type, state: 'starting' }, counts: {}, closed: false };
      inst.driver = plugin.create(entry.config, this.context(inst));
      this.instances.push(inst);
    }
    await Promise.all(
      this.instances.map(async (inst) => {
        try {
          await inst.driver.start();
          if (inst.status.state === 'starting') this.setState(inst, 'up');
        } catch (err) {
          this.setState(inst, 'down', (err as Error).message);
        }
      }),
    );
  }

  /** Stop every driver; resolves when none will emit again. */
  async stop(): Promise<void> {
    const all = this.instances;
    this.instances = [];
    await Promise.all(
      all.map(async (inst) => {
        try {
          await inst.driver.stop();
        } catch (err) {
          this.opts.log.warn({ err, driver: inst.name }, 'driver failed to stop cleanly / 驱动未能正常停止');
        }
        inst.closed = true;
        inst.status = { ...inst.status, state: 'stopped' };
      }),
    );
  }

  /** Every device the drivers speak for. */
  devices(): string[] {
    return [...new Set(this.instances.flatMap((i) => i.driver.devices()))];
  }

  /** Each driver's state by name. */
  statuses(): Record<string, DriverStatus> {
    return Object.fromEntries(this.instances.map((i) => [i.name, { ...i.status }]));
  }

  /** Each driver's dropped-input counters by name. */
  counts(): Record<string, Record<string, number>> {
    return Object.fromEntries(this.instances.map((i) => [i.name, { ...i.counts }]));
  }

  /** Run a command on the driver owning `device`. */
  async command(device: string, name: string, args: Record<string, unknown>): Promise<CommandOutcome> {
    const inst = this.instances.find((i) => i.driver.devices().includes(device));
    if (inst === undefined) return { status: 'refused', detail: `no driver speaks for ${device} / 没有驱动负责设备 ${device}` };
    if (inst.driver.command === undefined) return { status: 'refused', detail: `driver ${inst.name} (${inst.type}) takes no commands / 驱动 ${inst.name} 不接受命令` };
    return inst.driver.command(device, name, args);
  }

  private setState(inst: Instance, state: DriverState, detail?: string): void {
    const next: DriverStatus = { type: clip(inst.type, 32), state, ...(detail !== undefined && detail !== '' ? { detail: clip(detail, 256) } : {}) };
    const changed = next.state !== inst.status.state || next.detail !== inst.status.detail;
    inst.status = next;
    if (!changed) return;
    const level = state === 'down' ? 'warn' : 'info';
    this.opts.log[level]({ driver: inst.name, type: inst.type, state, detail }, `driver ${inst.name} is ${state} / 驱动 ${inst.name} 状态：${state}`);
    this.opts.onChange();
  }

  private context(inst: Instance): DriverContext {
    const log = this.opts.log.child({ driver: inst.name });
    const { site, queue } = this.opts;
    return {
      name: inst.name,
      site,
      log,
      emit: <K extends MessageKind>(device: string, type: K, body: BodyOf<K>, o?: { ts?: number; priority?: Priority }): Promise<void> => {
        if (inst.closed) return Promise.reject(new EdgeError('VIGIL_EDGE_CLOSED', `driver ${inst.name} is stopped / 驱动已停止`));
        if (!isValidId(device)) return Promise.reject(new EdgeError('VIGIL_EDGE_MESSAGE', `invalid device id ${JSON.stringify(device)} / 设备编号无效`));
        if (!isMessageKind(type)) return Promise.reject(new EdgeError('VIGIL_EDGE_MESSAGE', `unknown message type ${JSON.stringify(type)} / 未知消息类型`));
        const schema = bodySchema(type);
        if (!compiledCheck(schema).Check(body)) {
          const r = check(schema, body);
          const message = r.ok ? 'invalid body' : r.error.message;
          return Promise.reject(new EdgeError('VIGIL_EDGE_MESSAGE', `${type} from ${device}: body${message} / 消息体无效`));
        }
        const ts = o?.ts ?? Date.now();
        const topic = deviceTopic(site, device, MESSAGE_KINDS[type].channel);
        return queue.append(device, o?.priority ?? defaultPriority(type), (seq) => ({ topic, payload: JSON.stringify(newMessage(type, device, seq, body, ts)) }));
      },
      setState: (state, detail) => this.setState(inst, state, detail),
      count: (reason, n = 1) => {
        inst.counts[reason] = (inst.counts[reason] ?? 0) + n;
      },
    };
  }
}
