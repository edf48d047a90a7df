import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeWebhookHandler, send } from './adapters/node/index.js';
import { createAdminHandler, type AdminHandlerOptions } from './admin/handler.js';
import { nodeAdminHandler } from './admin/node.js';
import type { ClerkSync } from './clerk-sync.js';
import { DEFAULT_WEBHOOK_PATH, RETRY_AFTER_SECONDS } from './receiver/receiver.js';
import { errorResponse, jsonResponse } from './receiver/response.js';

export { DEFAULT_WEBHOOK_PATH };

const NO_STORE = { 'cache-control': 'no-store' };

export interface ServerOptions extends Omit<AdminHandlerOptions, 'basePath' | 'webhookPath'> {
  path?: string;
  /** Whole-request deadline: a body that trickles in slower than this is cut off with 408. */
  requestTimeoutMs?: number;
  /**
   * While this returns a reason, clerk-sync is still starting (waiting for its database): the
   * webhook answers 503 with Retry-After and /readyz 503 with the reason, /healthz stays 200, so
   * an orchestrator neither restarts nor routes to the instance, and Svix retries later.
   */
  starting?: () => string | null;
}



/**
 * The HTTP server of `clerk-sync serve`: the webhook endpoint (always public), and the operator
 * surface: /healthz, /readyz, /metrics, and /dashboard + /api/admin when an admin token is set.
 */
export function createHttpServer(sync: ClerkSync, options: ServerOptions = {}): Server {
  const { path = DEFAULT_WEBHOOK_PATH, requestTimeoutMs, starting = () => null, ...adminOptions } = options;
  const webhook = nodeWebhookHandler(sync);
  const admin = nodeAdminHandler(createAdminHandler(sync, { ...adminOptions, webhookPath: path }));
  // Node enforces requestTimeout only when it checks connections (every 30 s by default): check
  // every second, so a stalled request is cut off at 15 s, not anywhere up to 45 s.
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    const waiting = starting();
    if (waiting && pathname === path) return send(res, errorResponse(503, 'starting', `clerk-sync is starting and cannot store events yet (${waiting}); nothing was stored, retry later`, { ...NO_STORE, 'retry-after': String(RETRY_AFTER_SECONDS), connection: 'close' }));
    if (waiting && pathname === '/readyz') return send(res, jsonResponse(503, { status: 'not_ready', reason: `starting: ${waiting}` }, NO_STORE));
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
