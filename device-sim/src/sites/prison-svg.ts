import type { PlanPoint, PrisonPlan } from './prison.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => String(Math.round(v * 100) / 100);

/** The camera's field of view as a wedge 12 m long. */
function wedge(at: PlanPoint, headingDeg: number, fovDeg: number): string {
  const r = 12;
  const point = (deg: number) => {
    const rad = (deg * Math.PI) / 180;
    return `${n(at.x + r * Math.sin(rad))},${n(at.y - r * Math.cos(rad))}`;
  };
  return `M${n(at.x)},${n(at.y)} L${point(headingDeg - fovDeg / 2)} A${r},${r} 0 0 1 ${point(headingDeg + fovDeg / 2)} Z`;
}

/**
 * The prison's floor plan as SVG, in plan metres (`viewBox="0 0 widthM heightM"`,
 * x east, y south from the plan's north-west corner). Every building, cell,
 * door and camera is an element whose `id` is the entity id, with
 * `data-kind` and, for doors and cameras, `data-x`/`data-y` in metres, so the
 * command centre can place live state on it. Names are in English and
 * Chinese (`data-name-en`, `data-name-zh`).
 */
export function renderPrisonSvg(plan: PrisonPlan): string {
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${plan.widthM} ${plan.heightM}" width="${plan.widthM * 4}" height="${plan.heightM * 4}" data-site="${plan.siteId}" data-origin-lat="${plan.origin.lat}" data-origin-lon="${plan.origin.lon}" font-family="sans-serif">`,
  );
  out.push(`  <!-- ${esc(plan.name.en)} / ${esc(plan.name['zh-CN'])}. Units: metres; origin: north-west corner at lat ${plan.origin.lat}, lon ${plan.origin.lon}; x east, y south. Generated from device-sim/src/sites/prison.ts by renderPrisonSvg; do not edit by hand. -->`);
  out.push(`  <title>${esc(plan.name.en)} / ${esc(plan.name['zh-CN'])}</title>`);
  out.push(`  <rect x="0" y="0" width="${plan.widthM}" height="${plan.heightM}" fill="#f4f1ea"/>`);
  out.push(`  <polygon id="${plan.siteId}-perimeter" data-kind="perimeter" points="${plan.perimeter.map((p) => `${n(p.x)},${n(p.y)}`).join(' ')}" fill="#ffffff" stroke="#333333" stroke-width="2"/>`);
  for (const b of plan.buildings) {
    const fill = b.kind === 'yard' ? '#d8ecd0' : b.kind === 'admin' ? '#e3e8f2' : '#eeeeee';
    const r = b.rect;
    out.push(`  <g id="${b.id}" data-kind="${b.kind}" data-name-en="${esc(b.name.en)}" data-name-zh="${esc(b.name['zh-CN'])}">`);
    out.push(`    <rect x="${n(r.x)}" y="${n(r.y)}" width="${n(r.w)}" height="${n(r.h)}" fill="${fill}" stroke="#555555" stroke-width="0.8"/>`);
    for (const c of b.cells) {
      out.push(`    <rect id="${c.id}" data-kind="cell" x="${n(c.rect.x)}" y="${n(c.rect.y)}" width="${n(c.rect.w)}" height="${n(c.rect.h)}" fill="#fafafa" stroke="#888888" stroke-width="0.3"/>`);
      out.push(`    <text x="${n(c.rect.x + c.rect.w / 2)}" y="${n(c.rect.y + c.rect.h / 2 + 1)}" font-size="2.6" text-anchor="middle" fill="#666666">${esc(c.id)}</text>`);
    }
    out.push(`    <text x="${n(r.x + r.w / 2)}" y="${n(r.y + r.h / 2 + 1.5)}" font-size="4" text-anchor="middle" fill="#222222">${esc(b.name.en)} ${esc(b.name['zh-CN'])}</text>`);
    out.push(`  </g>`);
  }
  for (const d of plan.doors) {
    out.push(
      `  <g id="${d.id}" data-kind="${d.kind}" data-area="${d.area}" data-x="${n(d.at.x)}" data-y="${n(d.at.y)}" data-name-en="${esc(d.name.en)}" data-name-zh="${esc(d.name['zh-CN'])}">`,
    );
    out.push(`    <rect x="${n(d.at.x - 2)}" y="${n(d.at.y - 1)}" width="4" height="2" fill="#c0392b"/>`);
    out.push(`    <text x="${n(d.at.x)}" y="${n(d.at.y - 2)}" font-size="2.4" text-anchor="middle" fill="#c0392b">${esc(d.id)}</text>`);
    out.push(`  </g>`);
  }
  for (const c of plan.cameras) {
    out.push(
      `  <g id="${c.id}" data-kind="camera" data-x="${n(c.at.x)}" data-y="${n(c.at.y)}" data-heading="${c.headingDeg}" data-fov="${c.fovDeg}" data-name-en="${esc(c.name.en)}" data-name-zh="${esc(c.name['zh-CN'])}">`,
    );
    out.push(`    <path d="${wedge(c.at, c.headingDeg, c.fovDeg)}" fill="#2e86de" fill-opacity="0.18" stroke="#2e86de" stroke-width="0.3"/>`);
    out.push(`    <circle cx="${n(c.at.x)}" cy="${n(c.at.y)}" r="1.2" fill="#2e86de"/>`);
    out.push(`  </g>`);
  }
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}
