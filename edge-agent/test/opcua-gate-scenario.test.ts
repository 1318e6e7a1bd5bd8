import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadScenario, PRISON, prisonGateLayout, runScenario, startGateServer } from '@vigil/device-sim';
import { pino } from 'pino';
import { opcuaGatePlugin } from '../src/drivers/opcua/index.js';
import { recordingContext, sleep, until } from './opcua-context.js';

const SCENARIO = fileURLToPath(new URL('../../device-sim/scenarios/prison-night-gates.yaml', import.meta.url));
const USER = { username: 'edge-agent', password: 'edge-agent-secret-1' };
const iso = (ms: number | undefined) => (ms === undefined ? '?' : new Date(ms).toISOString().slice(11, 19));

/**
 * Run the prison night scenario against a fresh gate simulator, with the
 * opcua-gate driver subscribed over a real socket; return what the driver
 * published, one line per message (state lines only for `stateDoors`).
 */
async function runNight(dir: string, seed: number, traffic: boolean, stateDoors: string[] = []): Promise<string[]> {
  const scenario = loadScenario(SCENARIO);
  const server = await startGateServer({
    layout: prisonGateLayout(),
    port: 0,
    pkiDir: join(dir, 'plc'),
    users: [USER],
    speed: 0,
    traffic,
    seed,
    startMs: scenario.startMs,
    log: pino({ level: 'silent' }),
  });
  const rec = recordingContext(PRISON.siteId);
  const driver = opcuaGatePlugin.create(
    {
      endpointUrl: server.endpointUrl,
      username: USER.username,
      password: USER.password,
      pkiDir: join(dir, 'agent'),
      acceptUnknownServerCertificate: true,
      doors: PRISON.doors.map((d) => ({ id: d.id, path: `${d.area}/${d.id}` })),
      publishingIntervalMs: 20,
    },
    rec.ctx,
  );
  try {
    await driver.start();
    await until('initial states', () => rec.emits.filter((e) => e.type === 'gate.state').length === PRISON.doors.length);
    const advanceTo = async (t: number) => {
      while (server.clock.now() < t) {
        server.clock.advance(Math.min(30_000, t - server.clock.now()));
        await sleep(10);
      }
    };
    await runScenario(scenario, { injectors: { gate: server.injector }, advanceTo });
    let seen = -1;
    while (seen !== rec.emits.length) {
      seen = rec.emits.length;
      await sleep(300);
    }
  } finally {
    await driver.stop();
    await server.stop();
  }
  // Across doors the order depends on how changes fell into notification messages; per door it is source-time order.
  const byTime = [...rec.emits].sort((x, y) => (x.ts ?? 0) - (y.ts ?? 0) || String(x.body.door).localeCompare(String(y.body.door)));
  return byTime
    .filter((e) => e.type !== 'gate.state' || (stateDoors.includes(e.body.door as string) && e.ts! >= scenario.startMs + 60_000))
    .map((e) => {
      const b = e.body;
      if (e.type === 'gate.alarm') return `${iso(e.ts)} alarm ${String(b.door)} ${String(b.alarm)} ${String(b.active)}`;
      if (e.type === 'gate.access') return `${iso(e.ts)} access ${String(b.door)} ${String(b.card)} ${String(b.direction)} ${String(b.reason)}`;
      return `${iso(e.ts)} state ${String(b.door)} open=${String(b.open)} locked=${String(b.locked)} lockdown=${String(b.lockdown)}`;
    });
}

describe('the prison night scenario through the simulator, OPC UA and the opcua-gate driver', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-gate-scenario-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('without scripted people, the driver publishes exactly the messages the script says, at its times (UTC)', async () => {
    const got = await runNight(dir, 7, false, ['pn-b-main']);
    assert.deepEqual(got, [
      '14:00:00 alarm pn-a-main forced true',
      '14:00:20 alarm pn-a-main forced false',
      '14:05:00 access pn-yard-gate O-1001 in granted',
      '14:05:00 alarm pn-yard-gate held_open true',
      '14:07:00 alarm pn-yard-gate held_open false',
      '14:10:00 access pn-admin-inner O-1002 in granted',
      '14:10:00 access pn-admin-inner O-1002 in anti_passback',
      '14:10:00 alarm pn-admin-inner anti_passback true',
      '14:15:00 access pn-gate-staff UNKNOWN-0000 in unknown_card',
      '14:15:00 access pn-gate-staff UNKNOWN-0000 in unknown_card',
      '14:15:00 access pn-gate-staff UNKNOWN-0000 in unknown_card',
      '14:15:00 alarm pn-gate-staff denied_repeatedly true',
      '14:20:00 alarm pn-admin-visit tamper true',
      '14:25:00 state pn-b-main open=false locked=true lockdown=true',
      '14:30:00 alarm pn-admin-visit tamper false',
      '14:40:00 state pn-b-main open=false locked=true lockdown=false',
    ]);
  });

  test('with scripted people, the same seed gives the same stream of card reads and alarms, and the scripted alarms are in it', async () => {
    const a = await runNight(dir, 7, true);
    const b = await runNight(dir, 7, true);
    assert.ok(a.filter((l) => l.includes(' access ')).length > 100, `people walk through doors: ${a.length} messages`);
    assert.deepEqual(b, a);
    for (const line of [
      '14:00:00 alarm pn-a-main forced true',
      '14:05:00 alarm pn-yard-gate held_open true',
      '14:10:00 alarm pn-admin-inner anti_passback true',
      '14:15:00 alarm pn-gate-staff denied_repeatedly true',
      '14:20:00 alarm pn-admin-visit tamper true',
    ])
      assert.ok(a.includes(line), line);
    const duringLockdown = a.filter((l) => /^14:(2[5-9]|3\d):\d\d access pn-b-/.test(l));
    assert.ok(duringLockdown.length > 0, 'people try block B doors during its lockdown');
    for (const l of duringLockdown) assert.match(l, / lockdown$/, 'cards are refused in block B during its lockdown');
    assert.ok(a.some((l) => /^14:(4\d):\d\d access pn-b-\S+ \S+ \S+ granted$/.test(l)), 'and granted again after the release');
  });
});
