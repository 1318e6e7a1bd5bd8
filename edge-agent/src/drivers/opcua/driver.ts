import { readFileSync } from 'node:fs';
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type ClientSubscription,
  type NodeId,
  type UserIdentityInfo,
} from 'node-opcua';
import type { CommandOutcome, Driver, DriverContext } from '../../driver.js';
import { doorDevices, type DoorField, type OpcuaGateConfig } from './config.js';
import { DoorTracker, type DoorOutput } from './door-tracker.js';
import { resolveNodes, type ResolvedNodes } from './nodes.js';

export const DEFAULT_NAMESPACE_URI = 'urn:vigil:device-sim:gates';

interface Connection {
  client: OPCUAClient;
  session?: ClientSession;
  subscription?: ClientSubscription;
  nodes?: ResolvedNodes;
}

/** A DER certificate from a DER or PEM file. */
function readCertificate(file: string): Buffer {
  const raw = readFileSync(file);
  const text = raw.toString('latin1');
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
  return pem ? Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64') : raw;
}

const NOT_CONNECTED: CommandOutcome = { status: 'error', detail: 'not connected to the door controller / 未连接门禁控制器' };

/**
 * A door controller (PLC) over OPC UA. One device per door (`doors[].device`,
 * default the door id), plus the optional `controller` device for site-wide
 * commands. Reconnects by itself with a doubling back-off: a lost connection
 * (the PLC restarted, the network dropped) tears the client down and a new
 * session re-resolves the browse paths and re-subscribes; the door trackers
 * survive, so only what changed meanwhile is published.
 */
export class OpcuaGateDriver implements Driver {
  readonly #config: OpcuaGateConfig;
  readonly #ctx: DriverContext;
  readonly #trackers = new Map<string, DoorTracker>();
  readonly #deviceToDoor = new Map<string, string>();
  readonly #doorDevice = new Map<string, string>();
  #certificates: OPCUACertificateManager | undefined;
  #conn: Connection | undefined;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #connecting: Promise<void> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #pending: Array<{ door: string; field: DoorField; value: unknown; ts: number | undefined }> = [];
  #flushScheduled = false;

  constructor(config: OpcuaGateConfig, ctx: DriverContext) {
    this.#config = config;
    this.#ctx = ctx;
    for (const [door, device] of doorDevices(config)) {
      this.#deviceToDoor.set(device, door);
      this.#doorDevice.set(door, device);
      this.#trackers.set(door, new DoorTracker(door));
    }
  }

  devices(): readonly string[] {
    const list = [...this.#deviceToDoor.keys()];
    if (this.#config.controller) list.push(this.#config.controller);
    return list;
  }

  /** Resolves after the first connection attempt, whether or not it succeeded; retries continue in the background. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#certificates = new OPCUACertificateManager({
      rootFolder: this.#config.pkiDir,
      automaticallyAcceptUnknownCertificate: this.#config.acceptUnknownServerCertificate ?? false,
    });
    await this.#certificates.initialize();
    this.#ctx.setState('starting');
    await this.#connectOnce();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    await this.#connecting?.catch(() => undefined);
    await this.#teardown();
    await this.#chain;
    await this.#certificates?.dispose();
    this.#ctx.setState('stopped');
  }

  async command(device: string, name: string, args: Record<string, unknown>): Promise<CommandOutcome> {
    const doorId = this.#deviceToDoor.get(device);
    const isController = device === this.#config.controller;
    if (!doorId && !isController) return { status: 'refused', detail: `unknown device ${device} / 未知设备 ${device}` };
    if (!['lock', 'unlock', 'lockdown', 'release'].includes(name)) return { status: 'refused', detail: `unknown command ${name} / 未知命令 ${name}` };
    const conn = this.#conn;
    const session = conn?.session;
    const nodes = conn?.nodes;
    if (!session || !nodes) return NOT_CONNECTED;
    const door = doorId ? nodes.doors.get(doorId) : undefined;
    if (doorId && !door) return { status: 'error', detail: `door ${doorId} was not found on the controller / 控制器上未找到门 ${doorId}` };

    if (name === 'lock' || name === 'unlock') {
      if (!door) return { status: 'refused', detail: `${name} needs a door device, not the controller / ${name} 须针对门设备` };
      const method = name === 'lock' ? door.lock : door.unlock;
      const outcome = await this.#call(session, door.object, method, name);
      if (outcome.status !== 'ok') return outcome;
      const locked = await this.#readBool(session, door.fields.locked);
      return {
        status: 'ok',
        detail: name === 'lock' ? `door ${door.door.id} locked / 门 ${door.door.id} 已上锁` : `door ${door.door.id} unlocked / 门 ${door.door.id} 已解锁`,
        result: { door: door.door.id, locked },
      };
    }

    const scope = args.scope ?? (door ? 'area' : 'site');
    if (scope !== 'area' && scope !== 'site') return { status: 'refused', detail: 'args.scope must be "area" or "site" / 参数 scope 须为 area 或 site' };
    if (scope === 'area' && !door) return { status: 'refused', detail: 'scope "area" needs a door device / area 范围须针对门设备' };
    const object = scope === 'site' ? nodes.root : door!.area;
    const method =
      scope === 'site' ? (name === 'lockdown' ? nodes.rootLockdown : nodes.rootRelease) : name === 'lockdown' ? door!.areaLockdown : door!.areaRelease;
    const outcome = await this.#call(session, object, method, name);
    if (outcome.status !== 'ok') return outcome;
    const doors = outcome.result?.doors;
    const what = name === 'lockdown' ? 'locked down / 已封锁' : 'released / 已解除封锁';
    return { status: 'ok', detail: `${scope} ${what} (${String(doors)} doors / 扇门)`, result: { scope, doors } };
  }

  async #call(session: ClientSession, objectId: NodeId, methodId: NodeId | undefined, name: string): Promise<CommandOutcome> {
    if (!methodId) return { status: 'error', detail: `the controller has no method for ${name} / 控制器没有 ${name} 方法` };
    const res = await session.call({ objectId, methodId, inputArguments: [] });
    const sc = res.statusCode;
    if (sc.equals(StatusCodes.BadInvalidState) || sc.equals(StatusCodes.BadUserAccessDenied))
      return { status: 'refused', detail: `the controller refused ${name}: ${sc.name} (lockdown in force?) / 控制器拒绝 ${name}: ${sc.name}（可能处于封锁状态）` };
    if (!sc.isGood()) return { status: 'error', detail: `${name} failed on the controller: ${sc.name} / 控制器执行 ${name} 失败: ${sc.name}` };
    const out = res.outputArguments?.[0]?.value as unknown;
    return { status: 'ok', result: typeof out === 'number' ? { doors: out } : {} };
  }

  async #readBool(session: ClientSession, nodeId: NodeId | undefined): Promise<boolean | undefined> {
    if (!nodeId) return undefined;
    const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
    return typeof dv.value.value === 'boolean' ? dv.value.value : undefined;
  }

  #connectOnce(): Promise<void> {
    this.#connecting = this.#connect().then(
      () => {
        this.#attempt = 0;
      },
      async (err: Error) => {
        this.#ctx.log.warn({ err: err.message, attempt: this.#attempt }, 'door controller connection failed');
        this.#ctx.setState('down', err.message);
        await this.#teardown();
        this.#scheduleRetry();
      },
    );
    return this.#connecting;
  }

  #scheduleRetry(): void {
    if (this.#stopped || this.#retryTimer) return;
    const delay = Math.min(500 * 2 ** this.#attempt, this.#config.reconnectMaxDelayMs ?? 10_000);
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#stopped) void this.#connectOnce();
    }, delay);
  }

  #lost(conn: Connection, why: string): void {
    if (this.#conn !== conn || this.#stopped) return;
    this.#ctx.log.warn({ why }, 'door controller connection lost; reconnecting');
    this.#ctx.setState('down', why);
    void this.#teardown().then(() => this.#scheduleRetry());
  }

  async #connect(): Promise<void> {
    const c = this.#config;
    const timeout = c.requestTimeoutMs ?? 5000;
    const client = OPCUAClient.create({
      applicationName: `vigil-edge-${this.#ctx.name}`,
      applicationUri: `urn:vigil:edge-agent:${this.#ctx.site}:${this.#ctx.name}`,
      securityPolicy: SecurityPolicy[c.securityPolicy ?? 'Basic256Sha256'],
      securityMode: MessageSecurityMode[c.securityMode ?? 'SignAndEncrypt'],
      clientCertificateManager: this.#certificates,
      ...(c.serverCertificateFile ? { serverCertificate: readCertificate(c.serverCertificateFile) } : {}),
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      defaultTransactionTimeout: timeout,
      transportTimeout: timeout,
    });
    const conn: Connection = { client };
    this.#conn = conn;
    client.on('connection_lost', () => this.#lost(conn, 'connection lost'));
    client.on('close', () => this.#lost(conn, 'connection closed'));
    await client.connect(c.endpointUrl);
    const identity: UserIdentityInfo =
      c.username !== undefined ? { type: UserTokenType.UserName, userName: c.username, password: c.password ?? '' } : { type: UserTokenType.Anonymous };
    conn.session = await client.createSession(identity);
    conn.session.on('keepalive_failure', () => this.#lost(conn, 'session keep-alive failed'));
    conn.session.on('session_closed', () => this.#lost(conn, 'session closed'));
    const nodes = await resolveNodes(conn.session, c.namespaceUri ?? DEFAULT_NAMESPACE_URI, c.root ?? 'Gates', c.doors);
    conn.nodes = nodes;
    if (nodes.missing.length > 0) this.#ctx.log.warn({ missing: nodes.missing }, 'configured doors or variables not found on the controller');

    conn.subscription = await conn.session.createSubscription2({
      requestedPublishingInterval: c.publishingIntervalMs ?? 200,
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    conn.subscription.on('terminated', () => this.#lost(conn, 'subscription terminated'));
    const index: Array<{ door: string; field: DoorField }> = [];
    const items: Array<{ nodeId: NodeId; attributeId: number }> = [];
    for (const dn of nodes.doors.values()) {
      for (const [field, nodeId] of Object.entries(dn.fields) as Array<[DoorField, NodeId]>) {
        index.push({ door: dn.door.id, field });
        items.push({ nodeId, attributeId: AttributeIds.Value });
      }
    }
    if (items.length > 0) {
      const group = ClientMonitoredItemGroup.create(conn.subscription, items, { samplingInterval: 0, queueSize: 100, discardOldest: false }, TimestampsToReturn.Both);
      group.on('changed', (_item, dataValue, i) => {
        const at = index[i];
        if (!at || this.#conn !== conn) return;
        if (!dataValue.statusCode.isGood()) {
          this.#ctx.count('bad_status');
          return;
        }
        const ts = (dataValue.sourceTimestamp ?? dataValue.serverTimestamp)?.getTime();
        this.#pending.push({ door: at.door, field: at.field, value: dataValue.value.value, ts });
        this.#scheduleFlush();
      });
      await new Promise<void>((resolve, reject) => {
        group.once('initialized', () => resolve());
        group.once('err', (m: string) => reject(new Error(m)));
      });
    }
    this.#ctx.setState(
      nodes.missing.length > 0 ? 'degraded' : 'up',
      nodes.missing.length > 0 ? `not found: ${nodes.missing.join(', ')}`.slice(0, 500) : `${nodes.doors.size} doors`,
    );
    this.#ctx.log.info({ doors: nodes.doors.size, endpointUrl: c.endpointUrl }, 'door controller subscribed');
  }

  /**
   * One notification message lists changes item by item, not in time order;
   * take the whole batch, put it in source-time order (stable, so the same
   * instant keeps item order), then publish each door's state once.
   */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const batch = this.#pending;
      this.#pending = [];
      batch.sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
      const dirty = new Set<string>();
      for (const u of batch) {
        this.#handle(u.door, this.#trackers.get(u.door)!.update(u.field, u.value, u.ts));
        dirty.add(u.door);
      }
      for (const d of dirty) this.#handle(d, this.#trackers.get(d)!.flush());
    });
  }

  #handle(door: string, outputs: DoorOutput[]): void {
    const device = this.#doorDevice.get(door)!;
    for (const o of outputs) {
      if (o.type === 'bad') {
        this.#ctx.count(o.reason);
        this.#ctx.log.warn({ door, detail: o.detail }, 'dropped a bad value from the door controller');
        continue;
      }
      const opts = o.ts !== undefined ? { ts: o.ts } : undefined;
      this.#chain = this.#chain
        .then(() => {
          if (o.type === 'gate.access') return this.#ctx.emit(device, 'gate.access', o.body, opts);
          if (o.type === 'gate.alarm') return this.#ctx.emit(device, 'gate.alarm', o.body, opts);
          return this.#ctx.emit(device, 'gate.state', o.body, opts);
        })
        .catch((err: Error) => this.#ctx.log.error({ err: err.message, door, type: o.type }, 'emit failed'));
    }
  }

  async #teardown(): Promise<void> {
    const conn = this.#conn;
    this.#conn = undefined;
    if (!conn) return;
    conn.client.removeAllListeners();
    conn.session?.removeAllListeners();
    conn.subscription?.removeAllListeners();
    const quick = <T>(p: Promise<T> | undefined) =>
      Promise.race([Promise.resolve(p).catch(() => undefined), new Promise<void>((r) => setTimeout(r, 1000).unref())]);
    await quick(conn.subscription?.terminate());
    await quick(conn.session?.close(false));
    await quick(conn.client.disconnect());
  }
}
