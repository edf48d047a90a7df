import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_WEBHOOK_PATH } from '../../receiver/receiver.js';
import { nodeWebhookHandler, type ClerkSyncSource } from '../node/index.js';

export type { ClerkSyncSource } from '../source.js';

/**
 * An Express 4 or 5 application (only what clerk-sync touches). A Router works too, but then
 * clerk-sync runs ahead of that router's middleware only, after whatever the app ran before it.
 */
export interface ExpressAppLike {
  use(...args: any[]): unknown;
}

export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface ExpressOptions {
  /** Default `/api/webhooks`. */
  path?: string;
}

const FIX =
  'A body parser such as express.json() ran first. Mount the endpoint with `mountClerkSync(app, sync)` ' +
  '(it answers webhook requests ahead of every middleware), register this middleware before express.json(), ' +
  'or keep the raw bytes: express.json({ verify: (req, _res, buf) => { req.rawBody = buf } }).';

/**
 * Serves the webhook endpoint at `path` on `app` ahead of everything registered on it, before or
 * after this call: body parsers (express.json()), auth and other middleware never see these
 * requests. Every other request goes through the app as usual. Works with Express 4 and 5.
 */
export function mountClerkSync(app: ExpressAppLike, sync: ClerkSyncSource, options: ExpressOptions = {}): void {
  const target = app as ExpressAppLike & { handle?: (req: IncomingMessage, res: ServerResponse, next?: unknown) => void };
  const handle = target.handle;
  if (typeof handle !== 'function') {
    throw new TypeError('mountClerkSync(app, sync) needs an Express application or Router (created by express() or express.Router())');
  }
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const webhook = nodeWebhookHandler(sync, { parsedBodyFix: FIX });
  // app(req, res) calls app.handle(req, res, next) in Express 4 and 5 alike: answering there runs before the app's middleware stack.
  target.handle = function handleWithClerkSync(this: unknown, req: IncomingMessage, res: ServerResponse, next?: unknown) {
    if (pathnameOf(req.url) === path) return webhook(req, res);
    return handle.call(this, req, res, next);
  };
}

/**
 * The webhook endpoint as a plain middleware, for `app.post('/api/webhooks', clerkSyncMiddleware(sync))`.
 * Reads the raw body itself, so it must run before any body parser; if one already consumed the
 * body it answers 500 `body_already_parsed` with the fix (never a misleading 401).
 */
export function clerkSyncMiddleware(sync: ClerkSyncSource): ExpressMiddleware {
  const webhook = nodeWebhookHandler(sync, { parsedBodyFix: FIX });
  return (req, res) => webhook(req, res);
}

function pathnameOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  const p = q === -1 ? u : u.slice(0, q);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}
