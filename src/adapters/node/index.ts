import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReceiverResponse } from '../../http/response.js';
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
          receiver.receive({ method: 'POST', headers: req.headers, body }).then((r) => send(res, r), () => send(res, INTERNAL_ERROR));
        });
        // A client that disconnects mid-body: nothing was stored, nothing to answer.
        req.on('error', () => {});
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

/** Answer 413 without reading the rest, and close the connection so the excess is never read. */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, r: ReceiverResponse): void {
  req.pause();
  send(res, { ...r, headers: { ...r.headers, connection: 'close' } });
}
