// The subject's check-in page (`/checkin/<token>`): camera, liveness prompt, GPS.
// Plain DOM, no framework: it must load fast on a cheap phone over a slow link.
import './checkin.css';
import { burst, closeCamera, grab, locate, openCamera, sharpest, sleep, type Frame } from './capture.js';
import { browserLang, STRINGS, type Challenge, type Lang } from './strings.js';

/** How the request looks to the page (GET /api/checkin/:token). */
interface Status {
  challenge: Challenge;
  due_ts: number;
  expires_ts: number;
}
interface Answer {
  result: 'pass' | 'fail' | 'review';
  message: { en: string; 'zh-CN': string };
}
type View =
  | { step: 'loading' }
  | { step: 'intro'; status: Status }
  | { step: 'look'; n: number }
  | { step: 'turn'; challenge: Challenge }
  | { step: 'sending'; noLocation: boolean }
  | { step: 'done'; answer: Answer; noLocation: boolean }
  | { step: 'problem'; code?: string; text?: keyof typeof STRINGS.en & ('cameraDenied' | 'network'); retry: boolean };

const LOOK_SECONDS = 3;
const TURN_FRAMES = 4;
const TURN_EVERY_MS = 500;

const app = document.getElementById('app')!;
const token = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const api = `/api/checkin/${encodeURIComponent(token)}`;
let lang: Lang = browserLang(navigator.languages);
let view: View = { step: 'loading' };
let video: HTMLVideoElement | undefined;
let stream: MediaStream | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { testid?: string } = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const { testid, ...rest } = props;
  const e = Object.assign(document.createElement(tag), rest);
  if (testid) e.dataset.testid = testid;
  e.append(...children);
  return e;
}

function render(): void {
  const t = STRINGS[lang];
  document.documentElement.lang = lang;
  document.title = `${t.title} · Vigil`;
  const langButton = el('button', { type: 'button', className: 'lang', lang: t.otherLang, onclick: () => ((lang = t.otherLang as Lang), render()) }, t.other);
  const header = el('header', { className: 'top' }, el('h1', {}, t.title), langButton);
  const body: Node[] = [];
  switch (view.step) {
    case 'loading':
      body.push(el('p', { className: 'status' }, t.loading));
      break;
    case 'intro': {
      const due = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(view.status.due_ts);
      body.push(
        el('p', {}, t.intro),
        el('ol', { className: 'steps' }, ...t.steps.map((s) => el('li', {}, s))),
        el('p', { className: 'due' }, t.dueBy(due)),
        el('button', { type: 'button', className: 'primary', onclick: () => void run((view as { status: Status }).status) }, t.start),
      );
      break;
    }
    case 'look':
    case 'turn':
      if (video) body.push(el('div', { className: 'camera' }, video));
      body.push(el('p', { className: `prompt prompt-${view.step}`, role: 'status', testid: 'prompt' }, view.step === 'look' ? t.look(view.n) : t.turn[view.challenge]));
      break;
    case 'sending':
      body.push(el('p', { className: 'status', role: 'status' }, t.sending));
      if (view.noLocation) body.push(el('p', { className: 'note' }, t.noLocation));
      break;
    case 'done': {
      const a = view.answer;
      body.push(
        el('section', { className: `result result-${a.result}`, testid: 'result' },
          el('span', { className: 'icon', ariaHidden: 'true' }, a.result === 'pass' ? '✓' : a.result === 'fail' ? '✕' : '…'),
          el('h2', { testid: 'result-title' }, t.results[a.result] ?? a.result),
          el('p', { testid: 'result-text' }, a.message[lang]),
        ),
      );
      if (view.noLocation) body.push(el('p', { className: 'note' }, t.noLocation));
      break;
    }
    case 'problem': {
      const text = view.text ? t[view.text] : (t.codes[view.code ?? ''] ?? t.network);
      body.push(el('section', { className: 'result result-problem', role: 'alert', testid: 'problem' }, el('h2', {}, t.problem), el('p', {}, text)));
      if (view.retry) body.push(el('button', { type: 'button', className: 'primary', onclick: () => void load() }, t.retry));
      break;
    }
  }
  app.replaceChildren(header, el('div', { className: 'body' }, ...body));
}

function show(v: View): void {
  view = v;
  render();
}

async function load(): Promise<void> {
  show({ step: 'loading' });
  try {
    const res = await fetch(api, { headers: { accept: 'application/json' }, cache: 'no-store' });
    const json = (await res.json()) as Status & { code?: string };
    if (!res.ok) return show({ step: 'problem', code: json.code ?? '', retry: res.status >= 500 });
    show({ step: 'intro', status: json });
  } catch {
    show({ step: 'problem', text: 'network', retry: true });
  }
}

/** Look, turn, send: the whole check-in once the subject taps Start. */
async function run(status: Status): Promise<void> {
  const where = locate(15_000);
  let frames: { selfie: Frame; after: Frame[] };
  try {
    stream = await openCamera();
    video = el('video', { autoplay: true, muted: true, playsInline: true, className: 'mirror', testid: 'video' });
    video.srcObject = stream;
    await video.play().catch(() => undefined);
    frames = await capture(video, status.challenge);
  } catch {
    return show({ step: 'problem', text: 'cameraDenied', retry: true });
  } finally {
    closeCamera(stream);
  }
  const fix = await where;
  show({ step: 'sending', noLocation: !fix });
  const form = new FormData();
  form.append('selfie', frames.selfie.jpeg, 'selfie.jpg');
  for (const [i, f] of frames.after.entries()) form.append('after', f.jpeg, `after-${i}.jpg`);
  form.append('challenge', status.challenge);
  if (fix) {
    form.append('lat', String(fix.coords.latitude));
    form.append('lon', String(fix.coords.longitude));
    form.append('acc_m', String(Math.round(fix.coords.accuracy)));
  }
  try {
    const res = await fetch(api, { method: 'POST', body: form, cache: 'no-store' });
    const json = (await res.json()) as Answer & { code?: string };
    // A 5xx leaves the link unused: the subject may try again.
    if (!res.ok) return show({ step: 'problem', code: json.code ?? '', retry: res.status >= 500 });
    show({ step: 'done', answer: json, noLocation: !fix });
  } catch {
    show({ step: 'problem', text: 'network', retry: true });
  }
}

/** The countdown and the selfie (sharpest of a short burst), then the prompt and the frames after it. */
async function capture(v: HTMLVideoElement, challenge: Challenge): Promise<{ selfie: Frame; after: Frame[] }> {
  for (let waited = 0; v.videoWidth === 0; waited += 100) {
    if (waited > 10_000) throw new Error('the camera sends no picture');
    await sleep(100);
  }
  for (let n = LOOK_SECONDS; n > 0; n--) {
    show({ step: 'look', n });
    await sleep(1000);
  }
  const selfie = sharpest([await grab(v), ...(await burst(v, 2, 150))]);
  show({ step: 'turn', challenge });
  await sleep(600);
  return { selfie, after: await burst(v, TURN_FRAMES, TURN_EVERY_MS) };
}

render();
void load();
