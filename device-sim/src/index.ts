export { DEMO, type DemoWorld, type DemoTag, type DemoZone, type DemoSite, type DemoOrgUnit } from './demo.js';
export { seedDemo, type RegisterDevice } from './seed.js';
export { startSimTag, type SimTag, type SimTagOptions } from './tag.js';
export { startFleet, type Fleet, type FleetOptions } from './fleet.js';
export { positionAt, offset, seededRandom, type Route } from './route.js';
