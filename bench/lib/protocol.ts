/** The IPC messages between bench/broker.ts and its load-generator workers. */

/** One connection a worker opens, and the topic it publishes on. */
export interface ClientSpec {
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
}

/** What the orchestrator asks a worker to do. */
export type WorkerRequest =
  | { cmd: 'connect'; port: number; clients: ClientSpec[]; concurrency: number; keepaliveS: number; connectTimeoutMs: number }
  | { cmd: 'subscribe'; filter: string; qos: 0 | 1 }
  | { cmd: 'expect'; count: number; timeoutMs: number }
  | { cmd: 'publish'; qos: 0 | 1; perClient: number; payloadBytes: number; windowPerClient: number }
  | { cmd: 'close' };

/** What a worker answers; which fields are set depends on the request. */
export interface WorkerReply {
  connected?: number;
  failed?: number;
  firstError?: string | undefined;
  ms?: number;
  granted?: number;
  count?: number;
  firstAt?: number;
  lastAt?: number;
  startedAt?: number;
  endedAt?: number;
  sent?: number;
}

/** What a broker child reports once it listens. */
export interface ServerReady {
  port: number;
}
