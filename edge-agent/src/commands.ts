import { check, commandTopic, CommandRequest, parseTopic, UUID_PATTERN, type CommandResult } from '@vigil/schemas';
import type { CommandStore } from './command-store.js';
import type { CommandOutcome } from './driver.js';
import type { Logger } from './logger.js';

const UUID = new RegExp(UUID_PATTERN);

/** What the handler needs from the agent. */
export interface CommandHandlerOptions {
  site: string;
  store: CommandStore;
  /** Run a command for one device (a driver's, or the agent's own). */
  execute(device: string, name: string, args: Record<string, unknown>): Promise<CommandOutcome>;
  /** Send a result (QoS 1). */
  publish(topic: string, payload: string): void;
  log: Logger;
}

/** The result topic of a command topic: `.../cmd/<name>/res`. */
export function resultTopic(site: string, device: string, name: string): string {
  return `${commandTopic(site, device, name)}/res`;
}

const clip = (s: string): string => (s.length > 1024 ? `${s.slice(0, 1021)}...` : s);

/**
 * Commands arriving on `vigil/v1/<site>/<device>/cmd/<name>`: validated with
 * CommandRequest, refused when expired, executed at most once per id (a repeat
 * is answered from the stored result with `replayed: true`), answered on
 * `cmd/<name>/res`.
 */
export class CommandHandler {
  private readonly running = new Map<string, Promise<CommandResult>>();

  constructor(private readonly opts: CommandHandlerOptions) {}

  async handle(topic: string, payload: Buffer): Promise<void> {
    const where = parseTopic(topic);
    if (where === null || where.kind !== 'command' || where.site !== this.opts.site) return;
    const { device, name } = where;
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      this.opts.log.warn({ topic }, 'command is not JSON and has no id to answer; dropped / 命令不是 JSON，无法应答，已丢弃');
      return;
    }
    const valid = check(CommandRequest, raw);
    if (!valid.ok) {
      const id = (raw as { id?: unknown } | null)?.id;
      this.opts.log.warn({ topic, error: valid.error.message }, 'invalid command / 无效命令');
      if (typeof id === 'string' && UUID.test(id)) this.answer(device, { id, name, status: 'refused', detail: clip(`invalid command: ${valid.error.message}`), ts: Date.now() });
      return;
    }
    const req = valid.value;
    if (req.name !== name) {
      this.answer(device, { id: req.id, name, status: 'refused', detail: `name ${JSON.stringify(req.name)} does not match the topic's ${JSON.stringify(name)}`, ts: Date.now() });
      return;
    }
    const stored = this.opts.store.get(req.id);
    if (stored !== undefined) {
      const inProcess = this.running.get(req.id);
      let result = stored.result ?? (inProcess !== undefined ? await inProcess : null);
      if (result === null) {
        // begun by an earlier run of the agent that stopped before finishing: never run it twice
        result = { id: req.id, name, status: 'error', detail: 'interrupted by an agent restart; not executed again / 执行被代理重启中断，不再重复执行', ts: Date.now() };
        this.opts.store.finish(result);
      }
      this.opts.log.info({ id: req.id, device, name }, 'repeated command id: answered from the stored result / 重复命令：返回已存结果');
      this.answer(device, { ...result, replayed: true });
      return;
    }
    if (req.expires_at !== undefined && req.expires_at < Date.now()) {
      const result: CommandResult = { id: req.id, name, status: 'refused', detail: `expired at ${new Date(req.expires_at).toISOString()} / 命令已过期`, ts: Date.now() };
      this.opts.store.record(device, result);
      this.answer(device, result);
      return;
    }
    this.opts.store.begin(req.id, device, name);
    const run = this.execute(device, name, req.id, req.args ?? {});
    this.running.set(req.id, run);
    try {
      const result = await run;
      this.opts.store.finish(result);
      this.opts.log.info({ id: req.id, device, name, status: result.status, by: req.by }, 'command executed / 命令已执行');
      this.answer(device, result);
    } finally {
      this.running.delete(req.id);
    }
  }

  private async execute(device: string, name: string, id: string, args: Record<string, unknown>): Promise<CommandResult> {
    let outcome: CommandOutcome;
    try {
      outcome = await this.opts.execute(device, name, args);
    } catch (err) {
      outcome = { status: 'error', detail: (err as Error).message || String(err) };
    }
    return {
      id,
      name,
      status: outcome.status,
      ...(outcome.detail !== undefined && outcome.detail !== '' ? { detail: clip(outcome.detail) } : {}),
      ...(outcome.result !== undefined ? { result: outcome.result } : {}),
      ts: Date.now(),
    };
  }

  private answer(device: string, result: CommandResult): void {
    this.opts.publish(resultTopic(this.opts.site, device, result.name), JSON.stringify(result));
  }
}
