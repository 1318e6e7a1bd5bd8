import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PRISON } from '@vigil/device-sim';
import type { Stack } from '../scripts/stack/stack.js';
import { addOperator, signIn, startTestStack } from './session.js';

// `npm start` with its demo cameras: simulated RTSP streams of the fixture
// photos, vigil-vision analysing them, alerts with their snapshots in the
// command centre, the cameras on the camera wall.
let run: Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let cookie: string;

before(async () => {
  run = await startTestStack('vigil-e2e-cams-', { cameras: true });
  stack = run.stack;
  await addOperator(stack.databaseUrl, 'e2e-cam-operator', 'e2e camera operator password');
  cookie = await signIn(stack.httpUrl, 'e2e-cam-operator', 'e2e camera operator password');
});

after(() => run?.stop());

interface ListedAlert {
  id: string;
  rule: string;
  dev: string;
  site: string;
  evidence: { snapshot_ref?: string; counted?: number };
}

test('a person walking into the perimeter strip on a demo camera becomes an alert with its snapshot, served to the operator', async () => {
  let found: ListedAlert | undefined;
  for (let i = 0; i < 120 && !found; i++) {
    const res = await fetch(`${stack.httpUrl}/api/alerts`, { headers: { cookie } });
    assert.equal(res.status, 200);
    const { alerts } = (await res.json()) as { alerts: ListedAlert[] };
    found = alerts.find((a) => a.rule === 'vision.zone_intrusion' && a.dev === 'pn-cam-perim-ne');
    if (!found) await new Promise((r) => setTimeout(r, 1000));
  }
  assert.ok(found, `no intrusion alert from the perimeter camera; vision said:\n${run.lines.filter((l) => l.name === 'vision' || l.name === 'cameras').map((l) => l.line).slice(-20).join('\n')}`);
  assert.equal(found.site, PRISON.siteId);
  const ref = found.evidence.snapshot_ref;
  assert.match(ref ?? '', /^pn-cam-perim-ne\/\d+-\d+\.jpg$/);
  const snap = await fetch(`${stack.httpUrl}/api/snapshots/${ref}`, { headers: { cookie } });
  assert.equal(snap.status, 200);
  assert.equal(snap.headers.get('content-type'), 'image/jpeg');
  const jpeg = Buffer.from(await snap.arrayBuffer());
  assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');

  // Both demo cameras are on the camera wall (a stream to relay).
  const devices = (await (await fetch(`${stack.httpUrl}/api/devices?site=${PRISON.siteId}`, { headers: { cookie } })).json()) as { devices: { id: string; has_stream: boolean }[] };
  assert.deepEqual(devices.devices.filter((d) => d.has_stream).map((d) => d.id).sort(), ['pn-cam-perim-ne', 'pn-cam-yard']);
});
