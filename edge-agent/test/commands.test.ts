import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@vigil/broker';
import { newId, type CommandResult } from '@vigil/schemas';
import { createLogger, loadConfigFile, startAgent, type RunningAgent } from '../src/index.js';
import { AGENT_SECRET, connectClient, SECRETS, SITE, startRegistry, startTestBroker, until } from './helpers.js';
import { probePlugin, probes } from './plugins.js';

const AGENT = 'edge-3';
let dir: string;
let db: Awaited<ReturnType<typeof startRegistry>>;
let broker: RunningBroker;
let agent: RunningAgent;
let cc: MqttClient;
let configFile: string;
const results: CommandResult[] = [];
const statuses: { topic: string; online: boolean; retain: boolean }[] = [];
const baseConfig = () => ({
  site: SITE,
  agent_id: AGENT,
  broker: { url: `mqtt://127.0.0.1:${broker.port}`, reconnect_ms: 200 },
  drivers: [{ name: 'probe-c', type: 'probe', config: { devices: ['tag-c'] } }],
});

/** Send a command as the command centre and wait for its result. */
async function command(device: string, name: string, extra: Record<string, unknown> = {}, id = newId()): Promise<CommandResult> {
  const before = results.filter((r) => r.id === id).length;
  await cc.publishAsync(`vigil/v1/${SITE}/${device}/cmd/${name}`, JSON.stringify({ id, name, ts: Date.now(), ...extra }), { qos: 1 });
  await until(() => results.filter((r) => r.id === id).length > before, 10_000, () => `no result for ${name} on ${device}`);
  return results.filter((r) => r.id === id).at(-1)!;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-edge-cmd-'));
  db = await startRegistry(AGENT, ['tag-c', 'tag-d']);
  broker = await startTestBroker(db.pool);
  cc = await connectClient(broker.port, { clientId: 'svc-cc-edge', username: 'svc-command-center', password: SECRETS.commandCenter });
  cc.on('message', (topic, p, packet) => {
    const msg = JSON.parse(p.toString()) as CommandResult & { body?: { online: boolean } };
    if (topic.endsWith('/res')) results.push(msg);
    else if (topic.endsWith('/status')) statuses.push({ topic, online: msg.body!.online, retain: packet.retain });
  });
  await cc.subscribeAsync([`vigil/v1/${SITE}/+/cmd/+/res`, `vigil/v1/${SITE}/+/status`], { qos: 1 });
  configFile = join(dir, 'agent.json');
  writeFileSync(configFile, JSON.stringify(baseConfig()));
  const config = loadConfigFile(configFile, [probePlugin]);
  agent = await startAgent({ config, configFile, dataDir: dir, plugins: [probePlugin], credentials: { secret: AGENT_SECRET }, log: createLogger('agent', 'silent') });
  await until(() => statuses.some((s) => s.online), 10_000, () => 'no birth');
});

after(async () => {
  await agent.stop();
  await cc.endAsync(true);
  await broker.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a command is routed to the driver of its device and answered on cmd/<name>/res', async () => {
  const r = await command('tag-c', 'ping', { args: { x: 1 } });
  assert.equal(r.status, 'ok');
  assert.equal(r.detail, 'pong');
  assert.deepEqual(probes.get('probe-c')!.executions, [{ device: 'tag-c', name: 'ping', args: { x: 1 } }]);
});

test('a repeated command id is answered again from the stored result, without executing again', async () => {
  const id = newId();
  const first = await command('tag-c', 'ping', {}, id);
  const n = probes.get('probe-c')!.executions.length;
  const again = await command('tag-c', 'ping', {}, id);
  assert.equal(probes.get('probe-c')!.executions.length, n, 'not executed twice');
  assert.equal(again.replayed, true);
  assert.deepEqual({ ...again, replayed: undefined }, { ...first, replayed: undefined });
});

test('a command past expires_at is refused and not executed', async () => {
  const n = probes.get('probe-c')!.executions.length;
  const r = await command('tag-c', 'ping', { expires_at: Date.now() - 1_000 });
  assert.equal(r.status, 'refused');
  assert.match(r.detail!, /expired/);
  assert.equal(probes.get('probe-c')!.executions.length, n);
});

test('an invalid command with an id is refused naming the field; an unknown one is refused by the driver', async () => {
  const bad = await command('tag-c', 'ping', { args: 'not-an-object' });
  assert.equal(bad.status, 'refused');
  assert.match(bad.detail!, /\/args/);
  const unknown = await command('tag-c', 'reboot');
  assert.equal(unknown.status, 'refused');
});

test('the agent answers its own status command', async () => {
  const r = await command(AGENT, 'status');
  assert.equal(r.status, 'ok');
  const status = r.result!.status as { online: boolean; drivers: Record<string, { state: string }> };
  assert.equal(status.online, true);
  assert.equal(status.drivers['probe-c']!.state, 'up');
});

test('a config command with a bad key is refused naming it; nothing changes', async () => {
  const bad = baseConfig();
  bad.drivers.push({ name: 'probe-d', type: 'probe', config: { devices: ['tag-d'], port: 0 } as never });
  const r = await command(AGENT, 'config', { args: { config: bad } });
  assert.equal(r.status, 'refused');
  assert.match(r.detail!, /^drivers\[1\]\.config\.port: must be >= 1/);
  const moved = { ...baseConfig(), broker: { url: 'mqtt://elsewhere:1883', reconnect_ms: 200 } };
  const r2 = await command(AGENT, 'config', { args: { config: moved } });
  assert.equal(r2.status, 'refused');
  assert.match(r2.detail!, /^broker\.url: cannot be changed remotely/);
  assert.deepEqual(Object.keys(agent.status().drivers!), ['probe-c']);
});

test('a good config command restarts the drivers, takes the new devices\' commands and is written to the file', async () => {
  const next = baseConfig();
  next.drivers.push({ name: 'probe-d', type: 'probe', config: { devices: ['tag-d'] } });
  const r = await command(AGENT, 'config', { args: { config: next } });
  assert.equal(r.status, 'ok', r.detail);
  assert.deepEqual(Object.keys(agent.status().drivers!).sort(), ['probe-c', 'probe-d']);
  const d = await command('tag-d', 'ping');
  assert.equal(d.status, 'ok');
  const written = JSON.parse(readFileSync(configFile, 'utf8')) as { drivers: { name: string }[] };
  assert.deepEqual(written.drivers.map((x) => x.name), ['probe-c', 'probe-d']);
});

test('birth is retained; a dropped link publishes the will (offline), the reconnect a new birth', async () => {
  const own = `vigil/v1/${SITE}/${AGENT}/status`;
  assert.ok(statuses.some((s) => s.topic === own && s.online));
  const from = statuses.length;
  agent.client.stream.destroy();
  await until(() => statuses.slice(from).some((s) => !s.online), 10_000, () => 'no will');
  await until(() => statuses.slice(from).some((s) => s.online), 10_000, () => 'no new birth');
  // a late subscriber gets the retained, current status
  const late = await connectClient(broker.port, { clientId: 'svc-cc-late', username: 'svc-command-center', password: SECRETS.commandCenter });
  const retained: boolean[] = [];
  late.on('message', (_t, p, packet) => retained.push(packet.retain && (JSON.parse(p.toString()) as { body: { online: boolean } }).body.online));
  await late.subscribeAsync(own, { qos: 1 });
  await until(() => retained.length > 0, 5_000, () => 'no retained status');
  assert.equal(retained[0], true);
  await late.endAsync(true);
});
