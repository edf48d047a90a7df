import { createHash, createHmac, hash } from 'node:crypto';

/**
 * HMAC-SHA256 of `prefix + payload` (RFC 2104) as base64, specialised for verification's hot path.
 *
 * `createHmac(...).update(prefix).update(payload).digest()` crosses into C++ four times and builds
 * a native object per call, which at 1 KB costs as much as the hashing itself. Here a small
 * payload is laid out once behind the precomputed inner key block and hashed with the one-shot
 * `crypto.hash`, then the outer key block with that digest: two native calls over the same bytes.
 * Digests travel as strings ('binary', that is latin1, and 'base64'): `crypto.hash` returns a
 * Buffer through a slow path that costs more than the hashing of a block (Node 20). Payloads above
 * ONE_SHOT_MAX stream through createHmac instead, where copying them would cost more than it
 * saves. `crypto.hash` came in Node 20.12; before that, every payload streams.
 */

const BLOCK = 64;
const ONE_SHOT_MAX = 64 * 1024;
/** Room for the svix-id and timestamp in the one-shot layout; a longer prefix streams. */
const PREFIX_MAX = 1024;

// Verification is synchronous, so one layout buffer serves every key. Allocated on first use.
let layout: Buffer | null = null;

export type HmacSha256 = (prefix: string, payload: string | Uint8Array) => string;

/**
 * The Svix signature in its plain form, base64 HMAC-SHA256 of `${id}.${timestamp}.${payload}`:
 * what signWebhook writes and `verify` diagnoses with. hmacSha256Base64 computes the same, faster.
 */
export function svixSignature(key: Buffer, id: string, timestamp: string | number, payload: string | Uint8Array): string {
  return hmacBase64(key, `${id}.${timestamp}.`, payload);
}

function hmacBase64(key: Buffer, prefix: string, payload: string | Uint8Array): string {
  return createHmac('sha256', key).update(prefix).update(payload).digest('base64');
}

export function hmacSha256Base64(key: Buffer): HmacSha256 {
  const streamed: HmacSha256 = (prefix, payload) => hmacBase64(key, prefix, payload);
  if (typeof hash !== 'function') return streamed;

  const block = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
  const inner = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK + 32, 0x5c); // the outer key block, then the inner digest
  for (let i = 0; i < block.length; i++) {
    inner[i]! ^= block[i]!;
    outer[i]! ^= block[i]!;
  }

  return (prefix, payload) => {
    if (payload.length > ONE_SHOT_MAX || prefix.length > PREFIX_MAX) return streamed(prefix, payload);
    // A string may take up to 3 bytes per UTF-16 unit.
    layout ??= Buffer.allocUnsafe(BLOCK + 3 * (PREFIX_MAX + ONE_SHOT_MAX));
    layout.set(inner, 0);
    let end = BLOCK + layout.write(prefix, BLOCK);
    end += typeof payload === 'string' ? layout.write(payload, end) : (layout.set(payload, end), payload.length);
    outer.write(hash('sha256', layout.subarray(0, end), 'binary'), BLOCK, 'latin1');
    return hash('sha256', outer, 'base64');
  };
}
