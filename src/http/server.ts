import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeWebhookHandler, send } from '../adapters/node/index.js';
import type { ClerkSync } from '../clerk-sync.js';
import { errorResponse, jsonResponse } from './response.js';

export const DEFAULT_WEBHOOK_PATH = '/api/webhooks';

export interface ServerOptions {
  path?: string;
  /** Whole-request deadline: a body that trickles in slower than this is cut off with 408. */
  requestTimeoutMs?: number;
}

/** The HTTP server of `clerk-sync serve`: the webhook endpoint and health checks. */
export function createHttpServer(sync: ClerkSync, options: ServerOptions = {}): Server {
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const webhook = nodeWebhookHandler(sync);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0];
    if (pathname === path) return webhook(req, res);
    req.resume();
    if (pathname === '/healthz') return send(res, jsonResponse(200, { status: 'ok' }));
    send(res, errorResponse(404, 'not_found', `nothing at ${pathname}; Clerk webhooks go to POST ${path}`));
  });
  // Svix gives up after 15 s, so a request slower than that is not a real delivery.
  server.requestTimeout = options.requestTimeoutMs ?? 15_000;
  server.headersTimeout = Math.min(10_000, server.requestTimeout);
  server.keepAliveTimeout = 5_000;
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
