/**
 * PostgreSQL frontend message framing (protocol v3, "Message Formats"):
 * before start-up completes a message is Int32 length + body (StartupMessage,
 * SSLRequest 80877103, GSSENCRequest 80877104, CancelRequest 80877102); after
 * it, Byte1 type + Int32 length (which counts itself) + body.
 */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** How many leading bytes of `buf` form whole messages, and whether start-up is over after them. */
export function completeMessages(buf: Uint8Array, startedUp: boolean): { bytes: number; startedUp: boolean } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 0;
  let started = startedUp;
  for (;;) {
    const header = started ? 5 : 4;
    if (buf.byteLength - offset < header) break;
    const length = view.getInt32(offset + (started ? 1 : 0));
    if (length < 4) throw new RangeError(`invalid PostgreSQL message length ${length} at byte ${offset}`);
    const total = (started ? 1 : 0) + length;
    if (buf.byteLength - offset < total) break;
    if (!started) {
      const code = length >= 8 ? view.getInt32(offset + 4) : 0;
      // An SSL or GSS negotiation request is answered before the real StartupMessage follows.
      if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) started = true;
    }
    offset += total;
  }
  return { bytes: offset, startedUp: started };
}
