/**
 * A load-generator process, driven over IPC by bench/broker.ts: it opens raw
 * MQTT connections, subscribes, publishes fixed counts and reports times, so
 * publishers and the subscriber run on their own event loops, apart from the broker.
 */
import { once } from 'node:events';
import type { IPublishPacket } from 'mqtt-packet';
import { publishTemplate, pubackBytes, rawConnect, rawSubscribe, type RawClient } from './raw-mqtt.js';
import type { ClientSpec, WorkerReply, WorkerRequest } from './protocol.js';

const clients: { spec: ClientSpec; client: RawClient }[] = [];
let received = { count: 0, firstAt: 0, lastAt: 0 };
let onCount: (() => void) | undefined;

/** Wall-clock time in ms with sub-ms resolution, comparable across processes on one host. */
const nowMs = () => performance.timeOrigin + performance.now();

async function connectAll(req: Extract<WorkerRequest, { cmd: 'connect' }>): Promise<WorkerReply> {
  const started = nowMs();
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < req.clients.length) {
      const spec = req.clients[next++]!;
      try {
        const client = await rawConnect({ host: '127.0.0.1', port: req.port, keepaliveS: req.keepaliveS, connectTimeoutMs: req.connectTimeoutMs, ...spec });
        clients.push({ spec, client });
      } catch (err) {
        failed += 1;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(req.concurrency, req.clients.length) }, lane));
  return { connected: req.clients.length - failed, failed, firstError, ms: nowMs() - started };
}

async function subscribe(req: Extract<WorkerRequest, { cmd: 'subscribe' }>): Promise<WorkerReply> {
  const sub = clients[0];
  if (sub === undefined) throw new Error('subscribe: no connection');
  received = { count: 0, firstAt: 0, lastAt: 0 };
  sub.client.onPacket = (packet) => {
    if (packet.cmd !== 'publish') return;
    const t = nowMs();
    if (received.count === 0) received.firstAt = t;
    received.lastAt = t;
    received.count += 1;
    const p = packet as IPublishPacket;
    if (p.qos === 1 && p.messageId !== undefined) sub.client.socket.write(pubackBytes(p.messageId));
    onCount?.();
  };
  // rawSubscribe wraps the handler until the SUBACK, then hands packets back to it
  const granted = await rawSubscribe(sub.client, req.filter, req.qos);
  return { granted };
}

function expect(req: Extract<WorkerRequest, { cmd: 'expect' }>): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      onCount = undefined;
      resolve({ ...received });
    };
    const timer = setTimeout(finish, req.timeoutMs);
    onCount = () => {
      if (received.count >= req.count) finish();
    };
    onCount();
  });
}

async function publishQos0(client: RawClient, bytes: Buffer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (!client.socket.write(bytes)) await once(client.socket, 'drain');
  }
}

function publishQos1(client: RawClient, template: ReturnType<typeof publishTemplate>, count: number, window: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    let inflight = 0;
    let nextId = 1;
    const pump = () => {
      while (inflight < window && sent < count) {
        client.socket.write(template.withId(nextId));
        nextId = nextId === 65_535 ? 1 : nextId + 1;
        sent += 1;
        inflight += 1;
      }
    };
    client.onPacket = (packet) => {
      if (packet.cmd !== 'puback') return;
      inflight -= 1;
      acked += 1;
      if (acked === count) resolve();
      else pump();
    };
    client.socket.once('close', () => (acked < count ? reject(new Error(`connection closed after ${acked}/${count} PUBACKs`)) : undefined));
    pump();
  });
}

async function publish(req: Extract<WorkerRequest, { cmd: 'publish' }>): Promise<WorkerReply> {
  const payload = Buffer.alloc(req.payloadBytes, 0x61);
  const startedAt = nowMs();
  await Promise.all(
    clients.map(({ spec, client }) => {
      const template = publishTemplate(spec.topic, payload, req.qos);
      return req.qos === 0 ? publishQos0(client, template.bytes, req.perClient) : publishQos1(client, template, req.perClient, req.windowPerClient);
    }),
  );
  return { startedAt, endedAt: nowMs(), sent: clients.length * req.perClient };
}

async function closeAll(): Promise<WorkerReply> {
  // DISCONNECT first, so a broker does not count these as lost connections [MQTT-3.14]
  for (const { client } of clients.splice(0)) {
    client.socket.end(Buffer.from([0xe0, 0x00]));
  }
  return {};
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.cmd) {
    case 'connect':
      return connectAll(req);
    case 'subscribe':
      return subscribe(req);
    case 'expect':
      return expect(req);
    case 'publish':
      return publish(req);
    case 'close':
      return closeAll();
  }
}

process.on('message', (msg: { id: number; req: WorkerRequest }) => {
  handle(msg.req).then(
    (result) => process.send?.({ id: msg.id, result }),
    (err: unknown) => process.send?.({ id: msg.id, error: (err as Error).message }),
  );
});
process.on('disconnect', () => process.exit(0));
