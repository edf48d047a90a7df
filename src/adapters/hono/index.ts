import { toFetchResponse } from '../../receiver/response.js';
import { bodyAlreadyParsed, receiverOf, type ClerkSyncSource } from '../source.js';

export type { ClerkSyncSource } from '../source.js';

/** What clerk-sync reads of Hono's Context (structural, so any Hono 4 version fits). */
export interface HonoContextLike {
  req: { raw: Request; bodyCache?: Partial<Record<string, unknown>>; arrayBuffer(): Promise<ArrayBuffer> };
}

const FIX = 'A middleware read c.req.raw (or used parseBody()) before the route: read bodies through c.req.text(), c.req.json() or c.req.arrayBuffer() instead (Hono keeps those bytes and clerk-sync reuses them), or register the webhook route before that middleware.';

/**
 * Hono handler for the webhook endpoint: `app.all('/api/webhooks', clerkSyncHono(sync))` (all, so
 * other methods get the same 405 as `clerk-sync serve`).
 */
export function clerkSyncHono(sync: ClerkSyncSource): (c: HonoContextLike) => Promise<Response> {
  return async (c) => {
    const receiver = await receiverOf(sync);
    if (!('receive' in receiver)) return toFetchResponse(receiver);
    const request = c.req.raw;
    if (!request.bodyUsed) return receiver.handle(request);
    // Hono caches what a middleware read through c.req; text and bytes are the exact body.
    const cache = c.req.bodyCache ?? {};
    if (!cache.arrayBuffer && !cache.text && !cache.blob) return toFetchResponse(bodyAlreadyParsed(FIX));
    const body = new Uint8Array(await c.req.arrayBuffer());
    return toFetchResponse(await receiver.receive({ method: request.method, headers: request.headers, body }));
  };
}
