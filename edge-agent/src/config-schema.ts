import { Type, type Static } from '@sinclair/typebox';
import { Id } from '@vigil/schemas';

/** One driver instance: which plugin, under which name, with what settings (checked against the plugin's own schema). */
export const DriverEntry = Type.Object(
  {
    /** Instance name, unique in the file; used in logs and `agent.status.drivers`. */
    name: Id,
    /** The plugin's `type` (see plugins.ts). */
    type: Type.String({ minLength: 1, maxLength: 32 }),
    /** The plugin's settings, validated against its `configSchema`. */
    config: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
);

/** The agent's config file (YAML or JSON); see the table in edge-agent/README.md. */
export const AgentConfigSchema = Type.Object(
  {
    /** Site id the agent runs at. */
    site: Id,
    /** The agent's own device id (registry kind `agent`); also its MQTT client id and username. */
    agent_id: Id,
    broker: Type.Object(
      {
        /** `mqtt://host:port` or `mqtts://host:port`. */
        url: Type.String({ pattern: '^mqtts?://[^\\s]+$', maxLength: 512 }),
        /** File holding the agent's secret (else env VIGIL_EDGE_SECRET; not needed with a client certificate). */
        secret_file: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        /** TLS with the site CA; `cert_file` + `key_file` for mTLS (the certificate's CN is the agent id). */
        tls: Type.Optional(
          Type.Object(
            {
              ca_file: Type.String({ minLength: 1, maxLength: 4096 }),
              cert_file: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
              key_file: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
            },
            { additionalProperties: false },
          ),
        ),
        keepalive_s: Type.Integer({ minimum: 5, maximum: 3600, default: 30 }),
        reconnect_ms: Type.Integer({ minimum: 100, maximum: 600_000, default: 1_000 }),
        /** Most queued messages published per second (0: no limit); keep it under the broker's per-client rate limit (default 1 000). */
        max_publish_rate: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 900 }),
      },
      { additionalProperties: false },
    ),
    queue: Type.Object(
      {
        /** Most messages kept on disk; beyond, the lowest priority is dropped first. */
        max_messages: Type.Integer({ minimum: 1_000, maximum: 100_000_000, default: 1_000_000 }),
        /** Most payload bytes kept on disk. */
        max_bytes: Type.Integer({ minimum: 1_048_576, maximum: 1_099_511_627_776, default: 536_870_912 }),
        /** QoS 1 publishes awaiting PUBACK at once. */
        inflight: Type.Integer({ minimum: 1, maximum: 10_000, default: 1_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** How often `agent.status` is published. */
    status_interval_s: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
    /** How many executed command ids (and their results) are kept to answer repeats. */
    commands_kept: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 10_000 }),
    drivers: Type.Array(DriverEntry, { maxItems: 256, default: [] }),
  },
  { additionalProperties: false },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;
