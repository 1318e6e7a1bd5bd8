import { mount } from 'svelte';
import App from './App.svelte';
import { dictionaryText } from './i18n';
// Bundled CJK font (split by unicode-range; the browser fetches only the slices a page needs), so Chinese
// renders on offline machines that have no CJK system font (PRODUCT.md: no CDN, no web fonts).
import '@fontsource-variable/noto-sans-sc';
import './styles.css';

/** Most we delay the first paint for the font. */
const FONT_WAIT_MS = 1500;

// Load the slices for the UI's own strings before the first paint: text drawn while its slice is still
// loading can stay drawn with the fallback (seen in headless Chromium), which on a machine without a CJK
// font means empty boxes. Alert titles arrive later, by which time most common slices are in.
function loadUiFont(): Promise<void> {
  const load = document.fonts.load('16px "Noto Sans SC Variable"', dictionaryText()).then(
    () => undefined,
    () => undefined, // no font is no reason not to start
  );
  return Promise.race([load, new Promise<void>((resolve) => setTimeout(resolve, FONT_WAIT_MS))]);
}

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');
void loadUiFont().then(() => mount(App, { target }));
