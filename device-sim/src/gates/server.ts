import { timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as NodeOpcuaModule from 'node-opcua';
import type { ISessionContext, Namespace, UAObject, UAVariable, Variant } from 'node-opcua';
import type { Logger } from 'pino';
import { seededRandom } from '../route.js';
import { SimClock } from './clock.js';
import { GateError } from './errors.js';
import { GateInjector } from './injector.js';
import type { GateLayout, I18nName } from './layout.js';
import { GateModel, type DoorSnapshot, type GateModelOptions } from './model.js';
import { Passages, startTraffic } from './traffic.js';

/** The namespace the simulated PLC's nodes live in; a client looks its index up by this URI. */
export const GATES_NAMESPACE_URI = 'urn:vigil:device-sim:gates';

/** node-opcua takes 2-3 s to load; only a process that starts a gate server pays for it. */
type NodeOpcua = typeof NodeOpcuaModule;

/** The door variables, their OPC UA data types, and how each is read off the model. */
export const DOOR_VARIABLES = {
  State: { dataType: 'String', get: (d: DoorSnapshot) => (d.open ? 'open' : 'closed') },
  Locked: { dataType: 'Boolean', get: (d: DoorSnapshot) => d.locked },
  Forced: { dataType: 'Boolean', get: (d: DoorSnapshot) => d.forced },
  HeldOpen: { dataType: 'Boolean', get: (d: DoorSnapshot) => d.heldOpen },
  Tamper: { dataType: 'Boolean', get: (d: DoorSnapshot) => d.tamper },
  AntiPassback: { dataType: 'Boolean', get: (d: DoorSnapshot) => d.antiPassback },
  DeniedRepeatedly: { dataType: 'Boolean', get: (d: DoorSnapshot) => d.deniedRepeatedly },
  LockdownActive: { dataType: 'Boolean', get: (d: DoorSnapshot) => d.lockdown },
  LastCard: { dataType: 'String', get: (d: DoorSnapshot) => (d.lastCard ? JSON.stringify(d.lastCard) : '') },
} as const satisfies Record<string, { dataType: 'String' | 'Boolean'; get: (d: DoorSnapshot) => string | boolean }>;
export type DoorVariable = keyof typeof DOOR_VARIABLES;

export interface GateUser {
  username: string;
  password: string;
}

export interface GateServerOptions {
  layout: GateLayout;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Where the server's PKI lives (its certificate and key are made there by node-opcua-pki on first start). */
  pkiDir: string;
  /** Who may connect (user name and password); anonymous sessions are refused. */
  users: GateUser[];
  /** Also offer the unsecured `None` endpoint (tests, local demos). Default true. Basic256Sha256 Sign and SignAndEncrypt are always offered. */
  allowUnsecured?: boolean;
  /** Seed of the scripted traffic. Default 1. */
  seed?: number;
  /** Simulated ms per real ms; 0 = the clock moves only by `clock.advance()`. Default 1. */
  speed?: number;
  /** Simulated time at start, epoch ms. Default now. */
  startMs?: number;
  /** Scripted people walking through doors. Default true. */
  traffic?: boolean;
  /** Mean simulated time between one person's passages. */
  trafficMeanGapMs?: number;
  model?: GateModelOptions;
  log: Logger;
}

/** A running gate simulator. */
export interface GateServer {
  port: number;
  /** `opc.tcp://127.0.0.1:<port>` */
  endpointUrl: string;
  model: GateModel;
  clock: SimClock;
  injector: GateInjector;
  /** The server's certificate (DER), written to `<pkiDir>/server-certificate.der` for clients that must know it up front (a secure-only endpoint cannot be discovered over None). */
  certificateFile: string;
  stop(): Promise<void>;
}

const text = (n: I18nName) => [
  { locale: 'en', text: n.en },
  { locale: 'zh-CN', text: n['zh-CN'] },
];

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Start an OPC UA server that behaves like a prison's door controller (PLC).
 * Address space, in namespace `GATES_NAMESPACE_URI` (string node ids):
 *
 * ```
 * Objects/Gates                       (s=<site>)       methods Lockdown() -> UInt32, Release() -> UInt32
 *   <area id>                         (s=<area>)       methods Lockdown, Release; variable LockdownActive Boolean
 *     <door id>                       (s=<door>)       methods Lock(), Unlock()
 *       State  String  "open" | "closed"               (s=<door>.State, ...)
 *       Locked, Forced, HeldOpen, Tamper, AntiPassback, DeniedRepeatedly, LockdownActive  Boolean
 *       LastCard String  JSON {seq, card, direction, granted, reason, time} or "" before the first read
 * ```
 *
 * Source timestamps are simulated time, so a fast clock gives the same
 * timestamps run after run.
 *
 * Methods answer BadInvalidState when the controller refuses (Unlock during
 * a lockdown); Lockdown/Release return how many doors they affected.
 */
export async function startGateServer(opts: GateServerOptions): Promise<GateServer> {
  const clock = new SimClock(opts.startMs ?? Date.now());
  const model = new GateModel(opts.layout, clock, opts.model);
  const passages = new Passages(model, clock);
  const injector = new GateInjector(model, clock, passages);

  const ua: NodeOpcua = await import('node-opcua');
  const { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } = ua;
  const serverCertificateManager = new ua.OPCUACertificateManager({
    rootFolder: join(opts.pkiDir, 'server'),
    automaticallyAcceptUnknownCertificate: true,
  });
  const allowUnsecured = opts.allowUnsecured ?? true;
  const server = new ua.OPCUAServer({
    port: opts.port,
    serverCertificateManager,
    securityPolicies: allowUnsecured ? [SecurityPolicy.None, SecurityPolicy.Basic256Sha256] : [SecurityPolicy.Basic256Sha256],
    securityModes: allowUnsecured
      ? [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt]
      : [MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: false,
    userManager: {
      isValidUser: (username: string, password: string) => opts.users.some((u) => u.username === username && sameSecret(u.password, password)),
    },
    buildInfo: { productName: 'Vigil gate simulator', manufacturerName: 'Vigil', productUri: 'urn:vigil:device-sim' },
    serverInfo: { applicationUri: 'urn:vigil:device-sim:gates-plc', productUri: 'urn:vigil:device-sim' },
    disableDiscovery: true,
    // 0 lets a client monitoring with samplingInterval 0 get every change, not one per sampling window:
    // three card reads in the same instant are three LastCard notifications.
    serverCapabilities: { minSupportedSampleRate: 0 },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('OPC UA address space missing after initialize');
  const ns = addressSpace.registerNamespace(GATES_NAMESPACE_URI);
  const variables = buildAddressSpace(ua, ns, addressSpace.rootFolder.objects, model);

  const sync = (doorId: string, all = false) => {
    const d = model.door(doorId);
    for (const [name, def] of Object.entries(DOOR_VARIABLES)) {
      const v = variables.doors.get(`${doorId}.${name}`)!;
      const value = def.get(d);
      if (all || v.readValue().value.value !== value) v.setValueFromSource(new Variant({ dataType: DataType[def.dataType], value }), StatusCodes.Good, new Date(clock.now()));
    }
  };
  for (const id of model.doorIds()) sync(id, true);
  const unsubscribe = model.onChange((c) => {
    if (c.kind === 'door') sync(c.id);
    else
      variables.areas
        .get(c.id)!
        .setValueFromSource(new Variant({ dataType: 'Boolean', value: model.areaLockdown(c.id) }), StatusCodes.Good, new Date(clock.now()));
  });

  await server.start();
  const certificateFile = join(opts.pkiDir, 'server-certificate.der');
  writeFileSync(certificateFile, server.getCertificate());
  const port = server.endpoints[0]?.port ?? opts.port;
  const traffic = opts.traffic === false ? undefined : startTraffic(model, clock, passages, { rng: seededRandom(opts.seed ?? 1), meanGapMs: opts.trafficMeanGapMs });
  clock.run(opts.speed ?? 1);
  opts.log.info({ port, doors: model.doorIds().length, securityNone: allowUnsecured }, 'gate simulator listening');

  return {
    port,
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    model,
    clock,
    injector,
    certificateFile,
    async stop() {
      clock.stop();
      traffic?.stop();
      unsubscribe();
      await server.shutdown(0);
      await serverCertificateManager.dispose();
    },
  };
}

interface BuiltNodes {
  doors: Map<string, UAVariable>;
  areas: Map<string, UAVariable>;
}

function buildAddressSpace(ua: NodeOpcua, ns: Namespace, objects: UAObject, model: GateModel): BuiltNodes {
  const { DataType } = ua;
  const layout = model.layout;
  const built: BuiltNodes = { doors: new Map(), areas: new Map() };
  const root = ns.addObject({ organizedBy: objects, browseName: 'Gates', nodeId: `s=${layout.site}`, displayName: text(layout.name) });
  addLockdownMethods(ua, ns, root, model, null);
  for (const area of layout.areas) {
    const areaNode = ns.addObject({ componentOf: root, browseName: area.id, nodeId: `s=${area.id}`, displayName: text(area.name) });
    built.areas.set(
      area.id,
      ns.addVariable({
        componentOf: areaNode,
        browseName: 'LockdownActive',
        nodeId: `s=${area.id}.LockdownActive`,
        dataType: 'Boolean',
        minimumSamplingInterval: 0,
        value: { dataType: 'Boolean', value: false },
      }),
    );
    addLockdownMethods(ua, ns, areaNode, model, area.id);
    for (const door of area.doors) {
      const doorNode = ns.addObject({ componentOf: areaNode, browseName: door.id, nodeId: `s=${door.id}`, displayName: text(door.name) });
      const snap = model.door(door.id);
      for (const [name, def] of Object.entries(DOOR_VARIABLES)) {
        built.doors.set(
          `${door.id}.${name}`,
          ns.addVariable({
            componentOf: doorNode,
            browseName: name,
            nodeId: `s=${door.id}.${name}`,
            dataType: def.dataType,
            minimumSamplingInterval: 0,
            value: { dataType: DataType[def.dataType], value: def.get(snap) },
          }),
        );
      }
      addDoorMethod(ua, ns, doorNode, door.id, 'Lock', () => model.lock(door.id));
      addDoorMethod(ua, ns, doorNode, door.id, 'Unlock', () => model.unlock(door.id));
    }
  }
  return built;
}

const statusOf = ({ StatusCodes }: NodeOpcua, err: unknown) =>
  err instanceof GateError && (err.code === 'LOCKDOWN' || err.code === 'INVALID_STATE') ? StatusCodes.BadInvalidState : StatusCodes.BadInternalError;

function addDoorMethod(ua: NodeOpcua, ns: Namespace, door: UAObject, doorId: string, name: 'Lock' | 'Unlock', act: () => void): void {
  const { StatusCodes } = ua;
  const method = ns.addMethod(door, { browseName: name, nodeId: `s=${doorId}.${name}`, inputArguments: [], outputArguments: [] });
  method.bindMethod(async (_inputs: Variant[], _context: ISessionContext) => {
    try {
      act();
      return { statusCode: StatusCodes.Good, outputArguments: [] };
    } catch (err) {
      return { statusCode: statusOf(ua, err) };
    }
  });
}

function addLockdownMethods(ua: NodeOpcua, ns: Namespace, node: UAObject, model: GateModel, area: string | null): void {
  const { DataType, StatusCodes, Variant } = ua;
  const prefix = area ?? model.layout.site;
  for (const name of ['Lockdown', 'Release'] as const) {
    const method = ns.addMethod(node, {
      browseName: name,
      nodeId: `s=${prefix}.${name}`,
      inputArguments: [],
      outputArguments: [{ name: 'Doors', dataType: DataType.UInt32, description: { text: 'doors affected' } }],
    });
    method.bindMethod(async (_inputs: Variant[], _context: ISessionContext) => {
      try {
        const n = name === 'Lockdown' ? model.lockdown(area) : model.release(area);
        return { statusCode: StatusCodes.Good, outputArguments: [new Variant({ dataType: DataType.UInt32, value: n })] };
      } catch (err) {
        return { statusCode: statusOf(ua, err) };
      }
    });
  }
}
