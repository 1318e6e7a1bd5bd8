/** `url` with any `user:password@` replaced, for logs and published errors. */
export function redactUrl(url: string): string {
  return url.replace(/^(rtsps?:\/\/)[^@/\s]*@/i, '$1***@');
}

/** `text` with every copy of `url` (and its credentials) redacted. */
export function redactIn(text: string, url: string): string {
  const creds = /^rtsps?:\/\/([^@/\s]*)@/i.exec(url)?.[1];
  let out = text.split(url).join(redactUrl(url));
  if (creds) out = out.split(creds).join('***');
  return out;
}
