import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClerkSync } from '../../clerk-sync.js';
import type { ReceiverResponse } from '../../http/response.js';

export type NodeWebhookHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * node:http request handler for the webhook endpoint. Reads the raw body itself (stopping at the
 * size limit) and hands the untouched bytes to the core receiver.
 */
export function nodeWebhookHandler(sync: Pick<ClerkSync, 'receiver'>): NodeWebhookHandler {
  const { receiver } = sync;
  return (req, res) => {
    if (req.method !== 'POST') {
      req.resume();
      void receiver.receive({ method: req.method ?? 'GET', headers: req.headers, body: new Uint8Array(0) }).then((r) => send(res, r));
      return;
    }
    const limit = receiver.maxBodyBytes;
    if (Number(req.headers['content-length'] ?? 0) > limit) return refuseTooLarge(req, res, receiver.tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        return refuseTooLarge(req, res, receiver.tooLarge());
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      receiver.receive({ method: 'POST', headers: req.headers, body }).then(
        (r) => send(res, r),
        () => send(res, { status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":{"code":"internal_error","message":"unexpected error; see the server log"}}' }),
      );
    });
    // A client that disconnects mid-body: nothing was stored, nothing to answer.
    req.on('error', () => {});
  };
}

export function send(res: ServerResponse, r: ReceiverResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

/** Answer 413 without reading the rest, and close the connection so the excess is never read. */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, r: ReceiverResponse): void {
  req.pause();
  send(res, { ...r, headers: { ...r.headers, connection: 'close' } });
}
