import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@vigil/broker';
import { PRISON, prisonGateLayout, startGateServer, type GateServer } from '@vigil/device-sim';
import { newId, type CommandResult } from '@vigil/schemas';
import { createLogger, startAgent, validateConfig, type RunningAgent } from '../src/index.js';
import { PLUGINS } from '../src/plugins.js';
import { AGENT_SECRET, connectClient, SECRETS, SITE, startRegistry, startTestBroker, until, type Received } from './helpers.js';

const AGENT = 'edge-gates';
const USER = { username: 'edge-agent', password: 'edge-agent-secret-1' };
const DOORS = PRISON.doors.map((d) => d.id);

describe('the edge agent with the opcua-gate plugin, the gate simulator and a real broker', () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof startRegistry>>;
  let broker: RunningBroker;
  let plc: GateServer;
  let agent: RunningAgent;
  let cc: MqttClient;
  let ingest: MqttClient;
  const events: Array<Received & { topic: string }> = [];
  const results: CommandResult[] = [];

  const command = async (device: string, name: string, args: Record<string, unknown> = {}): Promise<CommandResult> => {
    const id = newId();
    await cc.publishAsync(`vigil/v1/${SITE}/${device}/cmd/${name}`, JSON.stringify({ id, name, args, ts: Date.now() }), { qos: 1 });
    await until(() => results.some((r) => r.id === id), 10_000, () => `no result for ${name} on ${device}`);
    return results.find((r) => r.id === id)!;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-edge-gates-'));
    db = await startRegistry(AGENT, DOORS);
    broker = await startTestBroker(db.pool);
    plc = await startGateServer({ layout: prisonGateLayout(), port: 0, pkiDir: join(dir, 'plc'), users: [USER], speed: 0, traffic: false, log: createLogger('plc', 'silent') });
    cc = await connectClient(broker.port, { clientId: 'svc-cc-gates', username: 'svc-command-center', password: SECRETS.commandCenter });
    cc.on('message', (_topic, p) => results.push(JSON.parse(p.toString()) as CommandResult));
    await cc.subscribeAsync(`vigil/v1/${SITE}/+/cmd/+/res`, { qos: 1 });
    ingest = await connectClient(broker.port, { clientId: 'svc-ingest-gates', username: 'svc-ingest', password: SECRETS.ingest });
    ingest.on('message', (topic, p) => events.push({ ...(JSON.parse(p.toString()) as Received), topic }));
    await ingest.subscribeAsync(`vigil/v1/${SITE}/+/event`, { qos: 1 });
    const config = validateConfig(
      {
        site: SITE,
        agent_id: AGENT,
        broker: { url: `mqtt://127.0.0.1:${broker.port}`, reconnect_ms: 200 },
        drivers: [
          {
            name: 'gates',
            type: 'opcua-gate',
            config: {
              endpointUrl: plc.endpointUrl,
              username: USER.username,
              password: USER.password,
              pkiDir: join(dir, 'agent-pki'),
              acceptUnknownServerCertificate: true,
              doors: PRISON.doors.map((d) => ({ id: d.id, path: `${d.area}/${d.id}` })),
            },
          },
        ],
      },
      PLUGINS,
    );
    agent = await startAgent({ config, dataDir: dir, plugins: PLUGINS, credentials: { secret: AGENT_SECRET }, log: createLogger('agent', 'silent') });
  });

  after(async () => {
    await agent?.stop();
    await cc?.endAsync(true);
    await ingest?.endAsync(true);
    await plc?.stop();
    await broker?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a bad opcua-gate config is refused at start naming the key', () => {
    assert.throws(
      () => validateConfig({ site: SITE, agent_id: AGENT, broker: { url: 'mqtt://127.0.0.1:1' }, drivers: [{ name: 'g', type: 'opcua-gate', config: { endpointUrl: 'http://plc', pkiDir: '/tmp', doors: [] } }] }, PLUGINS),
      /endpointUrl|doors/,
    );
  });

  test('door states, a forced door and a card read reach the broker as each door device, through the disk queue', async () => {
    await until(() => DOORS.every((d) => events.some((e) => e.type === 'gate.state' && e.dev === d)), 20_000, () => `states: ${events.length}`);
    await plc.injector.inject('pn-gate-vehicle', 'forced', { durationS: 0 });
    await plc.injector.inject('pn-a-main', 'card', { card: 'P-2002', direction: 'in' });
    await until(() => events.some((e) => e.type === 'gate.alarm' && e.dev === 'pn-gate-vehicle') && events.some((e) => e.type === 'gate.access'), 10_000, () => JSON.stringify(events.slice(-3)));
    const alarm = events.find((e) => e.type === 'gate.alarm')!;
    assert.equal(alarm.topic, `vigil/v1/${SITE}/pn-gate-vehicle/event`);
    assert.deepEqual(alarm.body, { door: 'pn-gate-vehicle', alarm: 'forced', active: true });
    const access = events.find((e) => e.type === 'gate.access')!;
    assert.deepEqual([access.dev, access.body], ['pn-a-main', { door: 'pn-a-main', card: 'P-2002', direction: 'in', granted: true, reason: 'granted' }]);
    const seqs = events.filter((e) => e.dev === 'pn-gate-vehicle').map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'seq rises per device');
  });

  test('lock, unlock and lockdown sent as MQTT commands run on the PLC and are answered on cmd/<name>/res', async () => {
    const unlock = await command('pn-a-yard', 'unlock');
    assert.deepEqual([unlock.status, unlock.result], ['ok', { door: 'pn-a-yard', locked: false }]);
    assert.equal(plc.model.door('pn-a-yard').locked, false);
    await until(() => events.some((e) => e.type === 'gate.state' && e.dev === 'pn-a-yard' && e.body.locked === false), 10_000, () => 'no unlocked state');
    const down = await command('pn-a-main', 'lockdown');
    assert.deepEqual([down.status, down.result], ['ok', { scope: 'area', doors: 2 }]);
    assert.equal(plc.model.door('pn-a-yard').locked, true);
    const refused = await command('pn-a-yard', 'unlock');
    assert.equal(refused.status, 'refused');
    assert.equal((await command('pn-a-main', 'release')).status, 'ok');
  });
});
