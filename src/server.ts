import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeWebhookHandler } from './adapters/node/index.js';
import { createAdminHandler, type AdminHandlerOptions } from './admin/handler.js';
import { nodeAdminHandler } from './admin/node.js';
import type { ClerkSync } from './clerk-sync.js';
import { DEFAULT_WEBHOOK_PATH } from './receiver/receiver.js';

export { DEFAULT_WEBHOOK_PATH };


export interface ServerOptions extends Omit<AdminHandlerOptions, 'basePath' | 'webhookPath'> {
  path?: string;
  /** Whole-request deadline: a body that trickles in slower than this is cut off with 408. */
  requestTimeoutMs?: number;
}

/**
 * The HTTP server of `clerk-sync serve`: the webhook endpoint (always public), and the operator
 * surface: /healthz, /readyz, /metrics, and /dashboard + /api/admin when an admin token is set.
 */
export function createHttpServer(sync: ClerkSync, options: ServerOptions = {}): Server {
  const { path = DEFAULT_WEBHOOK_PATH, requestTimeoutMs, ...adminOptions } = options;
  const webhook = nodeWebhookHandler(sync);
  const admin = nodeAdminHandler(createAdminHandler(sync, { ...adminOptions, webhookPath: path }));
  // Node enforces requestTimeout only when it checks connections (every 30 s by default): check
  // every second, so a stalled request is cut off at 15 s, not anywhere up to 45 s.
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname === path) return webhook(req, res);
    admin(req, res);
  });
  // Svix gives up after 15 s, so a request slower than that is not a real delivery.
  server.requestTimeout = requestTimeoutMs ?? 15_000;
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
