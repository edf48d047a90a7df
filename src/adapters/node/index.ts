import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyBudgetExceededError, BodyTooLargeError, readNodeBody } from '../../receiver/read-body.js';
import type { ReceiverResponse } from '../../receiver/response.js';
import { INTERNAL_ERROR, bodyAlreadyParsed, receiverOf, type ClerkSyncSource } from '../source.js';

export type { ClerkSyncSource } from '../source.js';

export type NodeWebhookHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Some frameworks and body parsers keep the untouched bytes here; those are as good as the stream. */
export type RequestWithRawBody = IncomingMessage & { rawBody?: unknown; body?: unknown };

export interface NodeHandlerOptions {
  /** How to fix a request whose body was already consumed by a parser (framework-specific advice). */
  parsedBodyFix?: string;
}

const DEFAULT_FIX =
  'Route webhook requests to clerk-sync before any body parser runs, or keep the raw bytes as `req.rawBody` (a Buffer).';

/**
 * node:http request handler for the webhook endpoint. Reads the raw body itself (stopping at the
 * size limit) and hands the untouched bytes to the core receiver.
 */
export function nodeWebhookHandler(source: ClerkSyncSource, options: NodeHandlerOptions = {}): NodeWebhookHandler {
  const fix = options.parsedBodyFix ?? DEFAULT_FIX;
  return (req, res) => {
    receiverOf(source).then(
      (receiver) => {
        if (!('receive' in receiver)) return send(res, receiver);
        if (req.method !== 'POST') {
          req.resume();
          return void receiver.receive({ method: req.method ?? 'GET', headers: req.headers, body: new Uint8Array(0) }).then((r) => send(res, r), () => send(res, INTERNAL_ERROR));
        }
        if (req.readableEnded) {
          // Someone read the stream before us. Only the exact bytes can be verified.
          const raw = keptRawBody(req as RequestWithRawBody);
          if (raw === null) return send(res, bodyAlreadyParsed(fix));
          return void receiver.receive({ method: 'POST', headers: req.headers, body: raw }).then((r) => send(res, r), () => send(res, INTERNAL_ERROR));
        }
        // Headers first: a request refused on them never gets its body read.
        const early = receiver.precheck('POST', req.headers);
        if (early) return refuseUnread(req, res, early);
        readNodeBody(req, receiver.maxBodyBytes, receiver.bodyBudget).then(
          (body) => receiver.receive({ method: 'POST', headers: req.headers, body }).then((r) => send(res, r), () => send(res, INTERNAL_ERROR)),
          (error: unknown) => {
            if (error instanceof BodyTooLargeError) refuseUnread(req, res, receiver.tooLarge());
            else if (error instanceof BodyBudgetExceededError) refuseUnread(req, res, receiver.busy());
            // Otherwise the client disconnected mid-body: nothing was stored, nobody to answer.
          },
        );
      },
      () => send(res, INTERNAL_ERROR),
    );
  };
}

function keptRawBody(req: RequestWithRawBody): Uint8Array | null {
  const raw = req.rawBody;
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  return null;
}

export function send(res: ServerResponse, r: ReceiverResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

/** Answer without reading the (rest of the) body, and close the connection so it is never read. */
function refuseUnread(req: IncomingMessage, res: ServerResponse, r: ReceiverResponse): void {
  req.pause();
  send(res, { ...r, headers: { ...r.headers, connection: 'close' } });
}
