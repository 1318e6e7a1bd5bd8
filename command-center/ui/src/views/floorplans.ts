/// <reference types="vite/client" />
// Floor plans of the prisons, by site id: SVG in plan metres with the geographic anchor in data-origin-lat/lon
// (device-sim/src/sites/prison-svg.ts). Bundled as assets, fetched only when the map shows that site.
import prisonNorth from '../../../../device-sim/assets/prison-north.svg?url';

export const FLOOR_PLANS: Readonly<Record<string, string>> = { 'prison-north': prisonNorth };
