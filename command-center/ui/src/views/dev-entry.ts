// Test-only entry: mounts one extra view at `#/<id>` without the shell (App.svelte), for the browser test
// while the shell's router is not there yet. Built by vite.dev.config.ts; never part of the product bundle.
import { mount, unmount } from 'svelte';
import { isLang, type Lang } from '../i18n';
import '../styles.css';
import { extraViews } from './registry';

const target = document.getElementById('app');
if (!target) throw new Error('#app element missing');
let current: ReturnType<typeof mount> | undefined;

function show(): void {
  if (current) void unmount(current);
  const id = location.hash.replace(/^#\//, '');
  const param = new URLSearchParams(location.search).get('lang');
  const lang: Lang = isLang(param) ? param : navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
  document.documentElement.lang = lang;
  const view = extraViews.find((v) => v.id === id);
  if (!view || !target) return;
  current = mount(view.component, { target, props: { lang } });
}
window.addEventListener('hashchange', show);
show();
