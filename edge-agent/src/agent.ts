import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { CommandStore } from './command-store.js';
import { CommandHandler } from './commands.js';
import { checkRemoteChange, validateConfig } from './config.js';
import type { AgentConfig } from './config-schema.js';
import { writeConfigFile } from './config-write.js';
import type { CommandOutcome, DriverPlugin } from './driver.js';
import { DriverHost } from './drivers-host.js';
import { ConfigError } from './errors.js';
import { Forwarder } from './forwarder.js';
import { linkOptions, type Credentials } from './link.js';
import type { Logger } from './logger.js';
import { DiskQueue } from './queue.js';
import { statusBody, statusPayload, statusTopic, type AgentStatusBody } from './status.js';
import { openStore } from './store.js';

/** Options of startAgent. */
export interface AgentOptions {
  /** A validated config (see loadConfigFile / validateConfig). */
  config: AgentConfig;
  /** Where a remote `config` command writes the accepted config; not persisted when absent. */
  configFile?: string;
  /** Folder of the queue database (`queue.db`). */
  dataDir: string;
  plugins: readonly DriverPlugin[];
  credentials: Credentials;
  log: Logger;
  /** Reported in `agent.status.version`. */
  version?: string;
}

/** A running agent. */
export interface RunningAgent {
  /** Stop drivers, publish `online: false`, disconnect, close the queue. */
  stop(): Promise<void>;
  /** The current status body. */
  status(): AgentStatusBody;
  /** The config in force (after any remote change). */
  config(): AgentConfig;
  queueDepth(): number;
  /** The MQTT client (tests and diagnostics). */
  readonly client: MqttClient;
}

const configLimits = (c: AgentConfig) => ({ maxMessages: c.queue.max_messages, maxBytes: c.queue.max_bytes });

/**
 * Start the edge agent: open the disk queue, connect to the broker as the
 * agent's own device, forward the queue, answer commands, run the drivers.
 */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { log, plugins } = opts;
  let config = opts.config;
  const { site, agent_id: agentId } = config;
  const version = opts.version ?? '0.1.0';
  const startedAt = Date.now();
  const db = openStore(join(opts.dataDir, 'queue.db'));
  let statusSoon: NodeJS.Timeout | undefined;
  const queue = new DiskQueue(db, {
    limits: configLimits(config),
    log: log.child({ part: 'queue' }),
    // a drop is published at once (at most once a second), besides the log line the queue writes
    onDrop: () => {
      statusSoon ??= setTimeout(() => {
        statusSoon = undefined;
        publishStatus();
      }, 1_000);
    },
  });
  const commands = new CommandStore(db, config.commands_kept);
  let host = new DriverHost({ site, plugins, queue, log, onChange: () => publishStatus() });
  const ownStatus = statusTopic(site, agentId);

  const freshWill = () => ({ topic: ownStatus, payload: Buffer.from(statusPayload(agentId, queue.takeSeq(agentId), { online: false, version })), qos: 1 as const, retain: true });
  const client = connect(config.broker.url, { ...linkOptions(config, opts.credentials), will: freshWill() });
  // each (re)connect carries a will with a fresh id and seq
  client.on('close', () => {
    if (!stopping) client.options.will = freshWill();
  });
  // one warning per outage, not one per reconnect attempt
  let reported = false;
  client.on('error', (err) => log[reported ? 'debug' : 'warn']({ err: err.message }, 'broker connection error / 代理服务器连接错误'));
  client.on('offline', () => {
    if (!reported) log.warn({ queueDepth: queue.depth() }, 'broker unreachable; messages wait in the disk queue / 无法连接代理服务器，消息暂存磁盘队列');
    reported = true;
  });

  const status = (): AgentStatusBody => statusBody({ version, startedAt, queueDepth: queue.depth(), dropped: queue.dropped(), drivers: host.statuses() });
  const publishStatus = (): void => {
    if (!client.connected) return;
    client.publish(ownStatus, statusPayload(agentId, queue.takeSeq(agentId), status()), { qos: 1, retain: true });
  };

  const filter = (d: string) => `vigil/v1/${site}/${d}/cmd/+`;
  let subscribed: string[] = [];
  // Whether the broker lets the agent speak for each device, learnt from the SUBACK of its commands
  // filter: a device not registered behind this agent would have the broker close the connection on each
  // of its messages (and the resend after reconnect would do it again), so its messages are dropped,
  // loudly, and the queue holds while a device's answer is pending.
  const grants = new Map<string, boolean>();
  const pending = new Set<string>();
  const refusedDrops = new Map<string, number>();
  const subscribe = async (devices: readonly string[]): Promise<void> => {
    const next = [agentId, ...devices];
    const gone = subscribed.filter((d) => !next.includes(d));
    subscribed = next;
    for (const d of devices) if (!grants.has(d)) pending.add(d);
    if (!client.connected) return;
    const apply = (qos: readonly (number | undefined)[]): void => {
      const refused = next.filter((_d, i) => qos[i] === undefined || qos[i] === 128);
      for (const d of next) {
        if (d !== agentId) grants.set(d, !refused.includes(d));
        pending.delete(d);
      }
      if (refused.length > 0) {
        log.error({ refused }, `the broker does not let this agent speak for ${refused.join(', ')}: their messages are dropped; register them with --gateway ${agentId} / 代理服务器拒绝这些设备，其消息将被丢弃；请以 --gateway ${agentId} 注册`);
      }
      forwarder.poke();
    };
    try {
      if (gone.length > 0) await client.unsubscribeAsync(gone.map(filter));
      apply((await client.subscribeAsync(next.map(filter), { qos: 1 })).map((g) => g.qos));
    } catch (err) {
      // mqtt.js rejects a SUBACK that refuses a filter (128): read the grants from the packet
      const granted = (err as { packet?: { granted?: (number | object)[] } }).packet?.granted;
      if (granted !== undefined) return apply(granted.map((g) => (typeof g === 'number' ? g : undefined)));
      log.error({ err: (err as Error).message }, 'subscribing to commands failed / 订阅命令失败');
    }
  };
  const permit = (device: string): 'yes' | 'no' | 'unknown' => {
    if (pending.has(device)) return 'unknown';
    return grants.get(device) === false ? 'no' : 'yes';
  };
  const onRefused = (device: string): void => {
    const n = (refusedDrops.get(device) ?? 0) + 1;
    refusedDrops.set(device, n);
    if (n === 1 || n % 1000 === 0) {
      log.error({ device, dropped: n }, `dropped ${n} message(s) of ${device}: not registered behind this agent / 已丢弃设备 ${device} 的 ${n} 条消息：未登记在本代理之下`);
    }
  };

  client.on('connect', (connack) => {
    reported = false;
    log.info({ url: config.broker.url, sessionPresent: connack.sessionPresent, queueDepth: queue.depth() }, 'connected to the broker / 已连接代理服务器');
    publishStatus();
    void subscribe(host.devices());
  });

  const own = async (name: string, args: Record<string, unknown>): Promise<CommandOutcome> => {
    if (name === 'status') return { status: 'ok', result: { status: status(), counts: host.counts(), inflight: forwarder.inFlight() } };
    if (name !== 'config') return { status: 'refused', detail: `unknown command ${name} (agent commands: config, status) / 未知命令 ${name}` };
    let next: AgentConfig;
    try {
      if (args.config === undefined) throw new ConfigError('args.config', 'args.config: is required / 参数 args.config 必须提供');
      next = validateConfig(args.config, plugins);
      checkRemoteChange(config, next);
    } catch (err) {
      if (err instanceof ConfigError) return { status: 'refused', detail: err.message };
      throw err;
    }
    log.info({ drivers: next.drivers.map((d) => d.name) }, 'applying a remote config: restarting drivers / 应用远程配置：重启驱动');
    if (opts.configFile !== undefined) writeConfigFile(opts.configFile, next);
    await host.stop();
    config = next;
    queue.setLimits(configLimits(config));
    commands.setKept(config.commands_kept);
    host = new DriverHost({ site, plugins, queue, log, onChange: publishStatus });
    clearInterval(timer);
    timer = setInterval(publishStatus, config.status_interval_s * 1000);
    await host.start(config.drivers);
    await subscribe(host.devices());
    publishStatus();
    return { status: 'ok', detail: `applied: ${config.drivers.length} driver(s) / 已应用`, result: { drivers: Object.keys(host.statuses()) } };
  };

  const handler = new CommandHandler({
    site,
    store: commands,
    log: log.child({ part: 'commands' }),
    publish: (topic, payload) => client.publish(topic, payload, { qos: 1 }),
    execute: (device, name, args) => (device === agentId ? own(name, args) : host.command(device, name, args)),
  });
  client.on('message', (topic, payload) => {
    handler.handle(topic, payload).catch((err: unknown) => log.error({ err, topic }, 'command handling failed / 命令处理失败'));
  });

  // A message handed to the link is never dropped, so with a window as large as the queue a full queue
  // could only drop what arrives next, alarms included (found by e2e/fault): keep half the queue out of it.
  const inflight = Math.max(1, Math.min(config.queue.inflight, Math.floor(config.queue.max_messages / 2)));
  const forwarder = new Forwarder(queue, client, { inflight, ratePerS: config.broker.max_publish_rate, permit, onRefused, log });
  forwarder.start();
  await host.start(config.drivers);
  void subscribe(host.devices());
  let timer = setInterval(publishStatus, config.status_interval_s * 1000);

  let stopping = false;
  return {
    client,
    status,
    config: () => config,
    queueDepth: () => queue.depth(),
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      if (statusSoon !== undefined) clearTimeout(statusSoon);
      await host.stop();
      forwarder.stop();
      if (client.connected) {
        const body: AgentStatusBody = { online: false, version, queue_depth: queue.depth(), dropped: queue.dropped() };
        await client.publishAsync(ownStatus, statusPayload(agentId, queue.takeSeq(agentId), body), { qos: 1, retain: true }).catch(() => undefined);
      }
      // a graceful disconnect: the broker does not send the will; the offline status above replaces it
      // forced when offline: mqtt.js never calls back a graceful end without a connection
      await client.endAsync(!client.connected);
      queue.close();
      db.close();
      log.info('edge agent stopped / 边缘代理已停止');
    },
  };
}
