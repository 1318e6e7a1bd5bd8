import type { Injector } from '../scenario/types.js';
import { InjectError } from './device.js';
import type { SimFleet } from './fleet-sim.js';
import type { TagFleetDevices } from './build.js';

/**
 * The scenario injector for tags: `tag <id> <action>` runs the action on the
 * tag at the fleet's current sim time. `victim-approach` moves the victim of
 * the tag's subject to `distance_m` (default 150) from where the subject is.
 */
export function tagInjector(fleet: SimFleet, built: TagFleetDevices): Injector {
  return {
    async inject(device, action, args) {
      if (action === 'victim-approach') {
        const subject = built.subjectOfTag.get(device);
        const tag = built.tags.get(device);
        if (!subject || !tag) throw new InjectError(`unknown tag ${JSON.stringify(device)} / 未知电子标签`);
        if (!subject.victim) throw new InjectError(`tag ${device} victim-approach: subject ${subject.id} has no victim with a phone / 该对象没有受害人手机`);
        await fleet.runUntil(fleet.now());
        const p = tag.truePosition(fleet.now());
        await fleet.inject(subject.victim.phoneId, 'approach', { ...args, lon: p.lon, lat: p.lat });
        return;
      }
      if (!built.tags.has(device) && !built.phones.has(device)) throw new InjectError(`unknown tag ${JSON.stringify(device)} / 未知电子标签`);
      await fleet.inject(device, action, args);
    },
  };
}
