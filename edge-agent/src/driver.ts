import type { TSchema, Static } from '@sinclair/typebox';
import type { BodyOf, CommandStatus, MessageKind } from '@vigil/schemas';

/**
 * The driver plugin contract (issue 5). A driver talks to hardware (or its
 * simulator twin) and turns what it reads into Vigil messages; the agent
 * owns everything else — the envelope, `seq`, the disk queue, MQTT, commands.
 *
 * A plugin is registered by `type` (e.g. `nmea`, `opcua-gate`, `rtsp-camera`);
 * the agent's config file holds `{ name, type, config }` per driver instance,
 * and `config` is validated against `configSchema` at start (and on a remote
 * `config` command) with errors naming the key.
 */
export interface DriverPlugin<S extends TSchema = TSchema> {
  /** Registry key, used as `type` in the agent config. */
  readonly type: string;
  /** TypeBox schema of this driver's `config` block. */
  readonly configSchema: S;
  /** Build an instance; must not do I/O until `start()`. */
  create(config: Static<S>, ctx: DriverContext): Driver;
}

/**
 * Queue priority when the disk queue is full: lower is dropped first
 * (routine telemetry before events before alarms).
 */
export type Priority = 'telemetry' | 'event' | 'alarm';

/** What a driver may do with the agent. */
export interface DriverContext {
  /** This driver instance's name from the config (a valid id). */
  readonly name: string;
  /** The site the agent runs at. */
  readonly site: string;
  /** A pino-compatible child logger tagged with the driver name. */
  readonly log: DriverLogger;
  /**
   * Hand one message from `device` to the agent. The agent builds the envelope
   * (id, seq, ts defaulting to now) and writes it to the durable queue; the
   * promise resolves once it is on disk ("acknowledged from the driver"), so a
   * driver that needs to ack its hardware should do so after it resolves.
   * Priority defaults from the kind: alarms/tamper -> 'alarm', other events ->
   * 'event', telemetry -> 'telemetry'.
   */
  emit<K extends MessageKind>(device: string, type: K, body: BodyOf<K>, opts?: { ts?: number; priority?: Priority }): Promise<void>;
  /** Report this driver's state; goes into `agent.status.drivers` and the log. */
  setState(state: DriverState, detail?: string): void;
  /** Count a dropped input (malformed sentence, bad frame) under a reason, for metrics and status. */
  count(reason: string, n?: number): void;
}

export type DriverState = 'starting' | 'up' | 'degraded' | 'down' | 'stopped';

/** The outcome of a command, as sent back on `cmd/<name>/res`. */
export interface CommandOutcome {
  status: CommandStatus;
  detail?: string;
  result?: Record<string, unknown>;
}

/** A running driver. */
export interface Driver {
  /**
   * The device ids this driver speaks for (tags, doors' controllers, cameras);
   * the agent subscribes to each one's `cmd/#` and routes commands here.
   */
  devices(): readonly string[];
  /** Connect and start producing; resolves once started (reconnects are the driver's own job). */
  start(): Promise<void>;
  /** Stop and release everything; resolves when nothing more will be emitted. */
  stop(): Promise<void>;
  /**
   * Execute a command for one of `devices()`. Throwing is reported as status
   * 'error' with the message. Commands a driver does not know: return
   * `{ status: 'refused', detail: 'unknown command ...' }`.
   */
  command?(device: string, name: string, args: Record<string, unknown>): Promise<CommandOutcome>;
}

/** The logger surface drivers use (pino's). */
export interface DriverLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
