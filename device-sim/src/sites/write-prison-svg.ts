import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRISON } from './prison.js';
import { renderPrisonSvg } from './prison-svg.js';

/** Regenerate `device-sim/assets/prison-north.svg` after changing the plan: `npx tsx device-sim/src/sites/write-prison-svg.ts`. */
export const PRISON_SVG_FILE = fileURLToPath(new URL('../../assets/prison-north.svg', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) writeFileSync(PRISON_SVG_FILE, renderPrisonSvg(PRISON));
