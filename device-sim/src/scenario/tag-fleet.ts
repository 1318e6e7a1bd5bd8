import type { DemoWorld } from '../demo.js';
import { buildTagFleet, type TagFleetDevices } from '../tags/build.js';
import { SimFleet, type EventSink } from '../tags/fleet-sim.js';
import { tagInjector } from '../tags/injector.js';
import type { Scenario } from './parse.js';
import { ScenarioError } from './parse.js';
import type { Injector } from './types.js';

/** The tag side of a scenario run. */
export interface ScenarioTags {
  fleet: SimFleet;
  built: TagFleetDevices;
  injector: Injector;
}

/** The demo caseload's tags (or the scenario's `tags.only`) and phones, seeded, starting at the scenario's start. */
export function scenarioTags(scenario: Scenario, world: DemoWorld, seed: number, sink: EventSink): ScenarioTags {
  const t = scenario.tags ?? {};
  const only = t.only ? new Set(t.only) : null;
  if (only) {
    const known = new Set(world.subjects.map((s) => s.tagId));
    const missing = [...only].filter((id) => !known.has(id));
    if (missing.length > 0) throw new ScenarioError(`tags.only: unknown tags ${missing.join(', ')} / 未知电子标签`);
  }
  const subjects = world.subjects.filter((s) => !only || only.has(s.tagId));
  const built = buildTagFleet({
    subjects,
    zones: world.zones,
    seed,
    startMs: scenario.startMs,
    tag: {
      ...(t.fix_interval_s ? { fixIntervalMs: t.fix_interval_s * 1000 } : {}),
      ...(t.pursuit_interval_s ? { pursuitIntervalMs: t.pursuit_interval_s * 1000 } : {}),
      ...(t.health_interval_s ? { healthIntervalMs: t.health_interval_s * 1000 } : {}),
    },
    ...(t.phone_interval_s ? { phoneIntervalMs: t.phone_interval_s * 1000 } : {}),
  });
  const fleet = new SimFleet(built.devices, sink, scenario.startMs);
  return { fleet, built, injector: tagInjector(fleet, built) };
}
