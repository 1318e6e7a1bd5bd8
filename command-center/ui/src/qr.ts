/** An SVG path (one unit per module) of the QR code of `text`, with its quiet zone; loaded only when needed. */
export async function qrPath(text: string): Promise<{ size: number; d: string }> {
  const { encode } = await import('uqr');
  const { data } = encode(text, { border: 4, ecc: 'M' });
  let d = '';
  data.forEach((row, y) => row.forEach((dark, x) => dark && (d += `M${x} ${y}h1v1h-1z`)));
  return { size: data.length, d };
}

/** The secret in groups of four, easier to type into an authenticator by hand. */
export const groupSecret = (secret: string): string => secret.replace(/(.{4})(?=.)/g, '$1 ');
