import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { InfluxHttpError } from './influx-errors.js';

const gunzipAsync = promisify(gunzip);

// InfluxDB 2.x's wording (http/points): a body over the limit, before or after inflation.
const tooLarge = () => new InfluxHttpError('request too large', 'unable to read data: points batch is too large', 'Request Entity Too Large');

/**
 * Read a write request's body, inflating it when `Content-Encoding` is gzip.
 * Both the bytes on the wire and the inflated bytes are limited to
 * `maxBodyBytes` (413 otherwise), so a small gzip bomb cannot exhaust memory.
 * On 413 the rest of the body is left unread; the caller closes the connection.
 */
export async function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  const gzipped = encoding === 'gzip' || encoding === 'x-gzip';
  if (!gzipped && encoding !== '' && encoding !== 'identity') {
    throw new InfluxHttpError('invalid', `unsupported Content-Encoding ${JSON.stringify(encoding)}: send gzip or no encoding`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) throw tooLarge();
  const raw = await collect(req, maxBodyBytes);
  if (!gzipped) return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBodyBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    const message = `unable to read data: gzip: ${(err as Error).message}`;
    throw new InfluxHttpError('invalid', message);
  }
}

function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // The client went away before the end of the body: nothing to answer.
    const onClose = () => onError(new Error('request closed before the end of its body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
