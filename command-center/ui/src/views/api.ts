/** A request the API refused or could not answer; `status` 0 for a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Tell the shell the session is gone, so it shows the sign-in form. */
function unauthenticated(): void {
  window.dispatchEvent(new CustomEvent('vigil:unauthenticated'));
}

/** A query string from the defined values of `q`. */
export function query(q: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** JSON from the command centre's API with the session cookie; a 401 signs the shell out. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      credentials: 'same-origin',
      headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `${path}: ${(err as Error).message}`);
  }
  if (res.status === 401) unauthenticated();
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      const b = (await res.json()) as { message?: string };
      if (b.message) message = b.message;
    } catch {
      // not JSON: keep the status
    }
    throw new ApiError(res.status, message);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * Call `load` now and every `everyMs` while the page is visible, until the returned function is called;
 * a slow answer is never overlapped by the next request.
 */
export function poll(load: (signal: AbortSignal) => Promise<void>, everyMs: number): () => void {
  const ctrl = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async (): Promise<void> => {
    if (document.visibilityState !== 'hidden') {
      try {
        await load(ctrl.signal);
      } catch {
        // load reports its own failures; keep polling
      }
    }
    if (!ctrl.signal.aborted) timer = setTimeout(() => void tick(), everyMs);
  };
  void tick();
  return () => {
    ctrl.abort();
    clearTimeout(timer);
  };
}

/** True for the AbortError of a request cancelled because the view closed. */
export const aborted = (err: unknown): boolean => (err as Error)?.name === 'AbortError';
