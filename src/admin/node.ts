import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { BodyTooLargeError, readNodeBody } from '../receiver/read-body.js';
import type { AdminHandler } from './handler.js';

/** Admin request bodies are a login form or a replay filter: a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

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
    const context = { remoteAddress: req.socket.remoteAddress ?? null };
    void toRequest(req, (headersOnly) => handler.beforeBody(headersOnly, context)).then(
      async (request) => {
        if (request instanceof Response) {
          // Refused before its body was read: close the connection rather than read it.
          res.shouldKeepAlive = false;
          return writeResponse(res, request);
        }
        if (!request) return writeResponse(res, new Response('{"error":{"code":"payload_too_large","message":"admin request bodies are limited to 64 KiB"}}', { status: 413, headers: { 'content-type': 'application/json', connection: 'close' } }));
        await writeResponse(res, await handler(request, context));
      },
      (error: unknown) => {
        if (res.headersSent) return;
        const message = error instanceof InvalidHostError ? 'the Host header must be host or host:port' : 'the request could not be read';
        res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: { code: error instanceof InvalidHostError ? 'invalid_host' : 'bad_request', message } }));
      },
    ).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  };
}

/** The request as a Fetch Request; `beforeBody`'s answer instead, when it has one; null when the body is too large. */
async function toRequest(req: IncomingMessage, beforeBody: (headersOnly: Request) => Promise<Response | null>): Promise<Request | Response | null> {
  const secure = Boolean((req.socket as TLSSocket).encrypted);
  // Express strips its mount path from req.url and keeps the full one in originalUrl. The path
  // is taken from the request line alone: the Host header only names the origin (checked to be
  // a host and port), so it cannot smuggle in a path a proxy rule would have refused.
  const target = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const absolute = target.startsWith('/') ? null : new URL(target); // absolute-form: GET http://host/path
  const url = `${secure ? 'https' : 'http'}://${hostOf(req)}${absolute ? `${absolute.pathname}${absolute.search}` : target}`;
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
  // Credentials first: a request that will be refused never gets its body read.
  const early = await beforeBody(new Request(url, { method: 'GET', headers }));
  if (early) return early;
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return null;
  try {
    return new Request(url, { method, headers, body: new Uint8Array(await readNodeBody(req, MAX_BODY_BYTES)) });
  } catch (error) {
    if (error instanceof BodyTooLargeError) return null;
    throw error;
  }
}

/** The Host header when it is `host[:port]` (a name, IPv4 or [IPv6]); anything else is refused. */
function hostOf(req: IncomingMessage): string {
  const host = req.headers.host ?? 'localhost';
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) throw new InvalidHostError(host);
  return host;
}

class InvalidHostError extends Error {}

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
