/** A refused request: the HTTP status (0: the network), the API's message and the field it is about. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The event the shell listens for to show the sign-in form (the views' `api()` sends the same). */
export const UNAUTHENTICATED_EVENT = 'vigil:unauthenticated';

/** Tell the shell the session is gone. */
export function signalUnauthenticated(): void {
  window.dispatchEvent(new CustomEvent(UNAUTHENTICATED_EVENT));
}

/** Options of `request`. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Do not treat a 401 as the end of the session (the sign-in calls themselves). */
  quiet401?: boolean;
}

/**
 * JSON from the API with the session cookie. A 401 signs the shell out; any other
 * refusal is an `HttpError` carrying the API's (bilingual) message and field.
 */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      credentials: 'same-origin',
      headers: opts.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new HttpError(0, (err as Error).message);
  }
  if (res.status === 401 && !opts.quiet401) signalUnauthenticated();
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    let field: string | undefined;
    try {
      const b = (await res.json()) as { message?: string; field?: string };
      if (b.message) message = b.message;
      field = b.field;
    } catch {
      // not JSON: keep the status
    }
    throw new HttpError(res.status, message, field);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** The message for an error caught from `request`, else the generic network one. */
export function errorText(err: unknown, network: string): string {
  return err instanceof HttpError && err.status !== 0 ? err.message : network;
}
