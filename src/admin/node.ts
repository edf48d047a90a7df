import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AdminHandler } from './handler.js';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Serves an AdminHandler (Fetch API) from node:http, or from Express / Connect
 * (`app.use(nodeAdminHandler(admin))`, before any body parser: login and replay read the body).
 */
export function nodeAdminHandler(handler: AdminHandler): (req: IncomingMessage, res: ServerResponse, next?: () => void) => void {
  return (req, res, next) => {
    if (next) {
      const path = ((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/').split('?', 1)[0]!;
      // As middleware: leave the app's own routes to it.
      if (!handler.handles(path)) return next();
    }
    void toRequest(req).then(
      async (request) => {
        if (!request) return writeResponse(res, new Response('{"error":{"code":"payload_too_large","message":"admin request bodies are limited to 1 MiB"}}', { status: 413, headers: { 'content-type': 'application/json', connection: 'close' } }));
        await writeResponse(res, await handler(request, { remoteAddress: req.socket.remoteAddress ?? null }));
      },
      () => {
        if (!res.headersSent) res.writeHead(400).end();
      },
    ).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
}

async function toRequest(req: IncomingMessage): Promise<Request | null> {
  const secure = Boolean((req.socket as TLSSocket).encrypted);
  // Express strips its mount path from req.url and keeps the full one in originalUrl.
  const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const url = `${secure ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${path}`;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') {
    req.resume();
    return new Request(url, { method, headers });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return new Request(url, { method, headers, body: Buffer.concat(chunks) });
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
}
