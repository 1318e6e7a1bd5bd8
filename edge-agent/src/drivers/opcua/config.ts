import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';

const Name = Type.String({ minLength: 1, maxLength: 128 });

/** One door the driver watches: its id (also the device id unless `device` is set) and its browse path. */
export const OpcuaDoorConfig = Type.Object(
  {
    /** The door id in `gate.*` bodies. */
    id: Id,
    /** The device id the door's messages are published for (default: `id`). Registered on the broker with this agent as its gateway. */
    device: Type.Optional(Id),
    /** Browse names from `root` to the door object, '/'-separated, e.g. `pn-block-a/pn-a-main`. The door's parent is its lockdown area. */
    path: Type.String({ minLength: 1, maxLength: 512 }),
  },
  { additionalProperties: false },
);

/** The `config` block of an `opcua-gate` driver. */
export const OpcuaGateConfig = Type.Object(
  {
    /** `opc.tcp://host:port[/path]` of the door controller (PLC). */
    endpointUrl: Type.String({ pattern: '^opc\\.tcp://[^\\s]+$', maxLength: 512 }),
    securityPolicy: Type.Optional(Type.Union([Type.Literal('None'), Type.Literal('Basic256Sha256'), Type.Literal('Aes128_Sha256_RsaOaep'), Type.Literal('Aes256_Sha256_RsaPss')])),
    securityMode: Type.Optional(Type.Union([Type.Literal('None'), Type.Literal('Sign'), Type.Literal('SignAndEncrypt')])),
    /** User name and password of the session; without them the session is anonymous. */
    username: Type.Optional(Name),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    /** Folder of the client's certificate and key (made on first start) and of trusted server certificates (`trusted/certs`). */
    pkiDir: Type.String({ minLength: 1, maxLength: 1024 }),
    /** The PLC's certificate (DER or PEM). Needed when the PLC offers no unsecured endpoint to fetch it from; it must also be trusted. */
    serverCertificateFile: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** Trust a server certificate not in `trusted/certs` (first-use commissioning, tests). Default false. */
    acceptUnknownServerCertificate: Type.Optional(Type.Boolean()),
    /** Namespace URI of the browse names. Default the Vigil gate simulator's. */
    namespaceUri: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    /** Browse names from Objects to the controller's root object, '/'-separated. Default `Gates`. */
    root: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    doors: Type.Array(OpcuaDoorConfig, { minItems: 1, maxItems: 1000 }),
    /** A device id for the controller itself: `lockdown` / `release` on it act on the whole site. */
    controller: Type.Optional(Id),
    /** Subscription publishing interval. Default 200 ms. */
    publishingIntervalMs: Type.Optional(Type.Integer({ minimum: 20, maximum: 60_000 })),
    /** Longest wait between reconnection attempts (doubling from 500 ms). Default 10 000 ms. */
    reconnectMaxDelayMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000 })),
    /** Per-call timeout of method calls and reads. Default 5000 ms. */
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000 })),
  },
  { additionalProperties: false },
);
export type OpcuaGateConfig = Static<typeof OpcuaGateConfig>;
export type OpcuaDoorConfig = Static<typeof OpcuaDoorConfig>;

/**
 * The door variables the driver reads, by their browse names under the door
 * object. Changes at the same instant are handled in this order, so a card
 * read comes before the alarm it causes.
 */
export const DOOR_FIELDS = {
  lastCard: 'LastCard',
  state: 'State',
  locked: 'Locked',
  forced: 'Forced',
  heldOpen: 'HeldOpen',
  tamper: 'Tamper',
  antiPassback: 'AntiPassback',
  deniedRepeatedly: 'DeniedRepeatedly',
  lockdown: 'LockdownActive',
} as const;
export type DoorField = keyof typeof DOOR_FIELDS;

/** door id -> device id, refusing a device listed twice. */
export function doorDevices(config: OpcuaGateConfig): Map<string, string> {
  const byDoor = new Map<string, string>();
  const seen = new Set<string>();
  for (const d of config.doors) {
    const device = d.device ?? d.id;
    if (seen.has(device) || byDoor.has(d.id) || device === config.controller)
      throw new Error(`doors: device ${device} (door ${d.id}) is listed twice / 设备 ${device}（门 ${d.id}）重复`);
    seen.add(device);
    byDoor.set(d.id, device);
  }
  return byDoor;
}
