import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium: Playwright's own browser download is not possible offline. */
export const CHROMIUM = '/usr/bin/chromium';
/** Headless, and nothing that would reach off the machine. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// ARCHITECTURE.md "Running it": find the program or skip with the reason; under CI=true a missing one fails.
/** Why Chromium cannot run here, or undefined. */
export const chromiumMissing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (install the chromium package)`;
/** The `skip` option of a browser suite: the reason when Chromium is missing outside CI, else false (and the suite's `before` throws). */
export const chromiumSkip: string | false = chromiumMissing !== undefined && process.env.CI !== 'true' ? chromiumMissing : false;

/** Launch Debian's Chromium with CHROMIUM_ARGS plus `extraArgs`. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 30_000 });
}

let axeSource: string | undefined;

/**
 * Serious or critical axe-core violations on the page as it is now, inside `scope`
 * (a CSS selector; default the whole document). axe is injected from node_modules
 * with evaluate(), which runs outside the page's Content-Security-Policy.
 */
export async function axeViolations(page: Page, scope?: string): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(`${axeSource};0`);
  const target = scope === undefined ? 'document' : `document.querySelector(${JSON.stringify(scope)})`;
  const found = (await page.evaluate(
    `axe.run(${target}, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`,
  )) as { id: string; impact: string; help: string; nodes: string[] }[];
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
}
