// Strict base64 decoding of one 32-byte signature, in place: Buffer.from(text, 'base64') allocates
// on every call and silently skips invalid characters.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

function value(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code < 128 ? VALUES[code]! : -1;
}

/**
 * Decodes `text[start, end)` into `out` (32 bytes) if it is exactly 32 bytes of canonical standard
 * base64: 43 characters, optionally followed by one '='. Returns false otherwise.
 */
export function decodeSignature(text: string, start: number, end: number, out: Uint8Array): boolean {
  const length = end - start;
  if (length === 44 ? text.charCodeAt(end - 1) !== 61 /* = */ : length !== 43) return false;
  let invalid = 0;
  let at = start;
  let o = 0;
  for (; o < 30; o += 3, at += 4) {
    const a = value(text, at);
    const b = value(text, at + 1);
    const c = value(text, at + 2);
    const d = value(text, at + 3);
    invalid |= a | b | c | d; // -1 sets the sign bit
    out[o] = (a << 2) | (b >> 4);
    out[o + 1] = (b << 4) | (c >> 2);
    out[o + 2] = (c << 6) | d;
  }
  const a = value(text, at);
  const b = value(text, at + 1);
  const c = value(text, at + 2);
  invalid |= a | b | c | (c & 3 ? -1 : 0); // the last character's two unused bits must be zero
  out[30] = (a << 2) | (b >> 4);
  out[31] = (b << 4) | (c >> 2);
  return invalid >= 0;
}
