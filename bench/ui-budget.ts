/**
 * The command centre UI's budget (issue 10): the JavaScript sent, gzip-compressed, against
 * 300 KB (the lazily loaded map library reported beside it, not counted), and the first render on
 * localhost in Chromium — navigation to the first alert row visible — next to the time to load a
 * bare static HTML page from the same server, as a ratio.
 *
 * Needs the built UI (`npm run build`) and /usr/bin/chromium. Settings: VIGIL_BENCH_RUNS (5).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../command-center/test/chromium.js';
import type { Alert } from '@vigil/schemas';
import { startCommandCenter } from '@vigil/command-center';
import { insertAlert, sampleAlert, startTestBroker, startTestDb, testLogger } from '../command-center/test/helpers.js';
import { addUser, seedBasicTree, TEST_PASSWORD } from '../command-center/test/auth-helpers.js';

const BUDGET_KB = 300;
const RUNS = Number(process.env.VIGIL_BENCH_RUNS ?? 5);
const PKG_DIR = fileURLToPath(new URL('../command-center/', import.meta.url));
const PUBLIC_DIR = join(PKG_DIR, 'public');
const say = (s: string): void => void process.stdout.write(`${s}\n`);
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

// ---- bytes sent ---------------------------------------------------------------------------------------------
if (!existsSync(join(PUBLIC_DIR, 'index.html'))) execFileSync('npm', ['run', 'build'], { cwd: PKG_DIR, stdio: 'inherit' });

interface Asset {
  path: string;
  raw: number;
  gzip: number;
}
const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
const assets: Asset[] = walk(PUBLIC_DIR).map((path) => {
  const body = readFileSync(path);
  // woff2 is compressed already; a server would not gzip it again.
  return { path: path.slice(PUBLIC_DIR.length + 1), raw: body.length, gzip: path.endsWith('.woff2') ? body.length : gzipSync(body, { level: 9 }).length };
});
const sum = (xs: Asset[]): number => xs.reduce((n, a) => n + a.gzip, 0);
/** The map library (Leaflet) is loaded only by the map view; the budget sets it aside. */
const isMap = (a: Asset): boolean => /map-engine|leaflet/i.test(a.path);
const js = assets.filter((a) => a.path.endsWith('.js'));
const appJs = js.filter((a) => !isMap(a));
const css = assets.filter((a) => a.path.endsWith('.css'));
const fonts = assets.filter((a) => a.path.endsWith('.woff2'));
const other = assets.filter((a) => !js.includes(a) && !css.includes(a) && !fonts.includes(a));
// What the first page load fetches: the scripts and module preloads index.html names; the rest is lazy (a view's import()).
const scriptsOf = (page: string): Set<string> =>
  new Set([...readFileSync(join(PUBLIC_DIR, page), 'utf8').matchAll(/(?:src|href)="\/([^"]+\.js)"/g)].map((m) => m[1]!));
const atStart = scriptsOf('index.html');
const initialJs = js.filter((a) => atStart.has(a.path));
/** Other pages' own scripts (e.g. the subjects' check-in page), which the command centre never loads. */
const otherEntries = new Map<string, string>();
for (const page of readdirSync(PUBLIC_DIR).filter((f) => f.endsWith('.html') && f !== 'index.html')) for (const js of scriptsOf(page)) if (!atStart.has(js)) otherEntries.set(js, page);

say('UI bytes (gzip -9):');
for (const a of [...js].sort((x, y) => y.gzip - x.gzip)) {
  const page = otherEntries.get(a.path);
  const note = isMap(a) ? '  (map library, lazy)' : atStart.has(a.path) ? '  (loaded at start)' : page ? `  (${page} only)` : '  (lazy: loaded by the view that needs it)';
  say(`  ${a.path.padEnd(48)} ${kb(a.raw).padStart(8)} KB raw ${kb(a.gzip).padStart(8)} KB gzip${note}`);
}
say(`  JavaScript, all but the map ${kb(sum(appJs)).padStart(8)} KB gzip of ${BUDGET_KB} KB budget: ${sum(appJs) / 1024 <= BUDGET_KB ? 'within' : 'OVER'}`);
say(`  JavaScript at first load    ${kb(sum(initialJs)).padStart(8)} KB gzip`);
say(`  JavaScript, map library     ${kb(sum(js.filter(isMap))).padStart(8)} KB gzip (set aside, loaded by the map view only)`);
say(`  CSS                         ${kb(sum(css)).padStart(8)} KB gzip`);
say(`  other (html, json, svg …)   ${kb(sum(other)).padStart(8)} KB gzip`);
say(`  CJK font slices (woff2)     ${kb(sum(fonts)).padStart(8)} KB in ${fonts.length} files (the browser fetches only the slices a page uses)`);
say(`  all public assets           ${kb(sum(assets)).padStart(8)} KB`);

// ---- first render ---------------------------------------------------------------------------------------------
if (chromiumMissing !== undefined) {
  say(`first render: skipped, ${chromiumMissing}`);
  process.exit(0);
}
// A copy of the built UI with one bare page beside it, so both come from the same server.
const served = mkdtempSync(join(tmpdir(), 'vigil-ui-bench-'));
cpSync(PUBLIC_DIR, served, { recursive: true });
writeFileSync(join(served, 'bare.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bare</title></head><body><p id="bare">bare</p></body></html>');

const db = await startTestDb();
const broker = await startTestBroker();
const center = await startCommandCenter({ port: 0, host: '127.0.0.1', pool: db.pool, mqttUrl: broker.url, publicDir: served, logger: testLogger });
let browser: Browser | undefined;
try {
  await seedBasicTree(db.pool);
  await addUser(db.pool, { id: 'bench-op', role: 'operator', orgUnit: 'moj' });
  const alerts: Alert[] = Array.from({ length: 50 }, (_, i) => sampleAlert({ dev: `tag-${String(i).padStart(4, '0')}`, raised_ts: Date.now() - i * 60_000, last_ts: Date.now() - i * 60_000 }));
  for (const a of alerts) await insertAlert(db.pool, a);
  const base = `http://127.0.0.1:${center.port}`;
  browser = await launchChromium();

  /** ms from navigation start until `selector` is in the page, in a fresh context (cold cache) each run. */
  const measure = async (path: string, selector: string, signIn: boolean): Promise<number> => {
    const context = await browser!.newContext({ locale: 'en-GB' });
    try {
      const page = await context.newPage();
      if (signIn) {
        const res = await context.request.post(`${base}/api/auth/login`, { data: { username: 'bench-op', password: TEST_PASSWORD } });
        if (!res.ok()) throw new Error(`login: ${res.status()}`);
      }
      await page.goto(`${base}${path}`, { waitUntil: 'commit' });
      // A function, not a string: the page's Content-Security-Policy forbids eval. (No DOM types here: minimal shapes.)
      const handle = await page.waitForFunction(
        (sel: string) => {
          const g = globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { height: number } } | null }; performance: { now(): number } };
          const el = g.document.querySelector(sel);
          return el && el.getBoundingClientRect().height > 0 ? g.performance.now() : false;
        },
        selector,
        { polling: 'raf', timeout: 30_000 },
      );
      return (await handle.jsonValue()) as number;
    } finally {
      await context.close();
    }
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  await measure('/bare.html', '#bare', false); // warm the server and the browser once
  await measure('/', '[data-alert-id]', true);
  const bare: number[] = [];
  const ui: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(await measure('/bare.html', '#bare', false));
    ui.push(await measure('/', '[data-alert-id]', true));
  }
  const [b, u] = [median(bare), median(ui)];
  say(`first render (median of ${RUNS}, cold cache, localhost, Chromium headless):`);
  say(`  bare static HTML page       ${b.toFixed(0).padStart(6)} ms`);
  say(`  UI to first alert row       ${u.toFixed(0).padStart(6)} ms  (signed in, 50 alerts)`);
  say(`  ratio                       ${(u / b).toFixed(1).padStart(6)} x`);
} finally {
  await browser?.close();
  await center.close();
  await broker.close();
  await db.close();
  rmSync(served, { recursive: true, force: true });
}
