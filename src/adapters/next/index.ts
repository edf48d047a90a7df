import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ClerkSync, ClerkSyncOptions } from '../../clerk-sync.js';
import { drainHandler } from '../../serverless/drain-handler.js';
import type { WaitUntil } from '../../serverless/processing.js';
import { toFetchResponse } from '../../receiver/response.js';
import { createLogger, type LogLevel } from '../../log.js';
import { nodeWebhookHandler } from '../node/index.js';
import { sharedInstance, whenAwaited } from '../instance.js';
import { receiverOf, type ClerkSyncSource } from '../source.js';

export type { ClerkSyncSource } from '../source.js';

export type AppRouteHandler = (request: Request) => Promise<Response>;
export type PagesApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const PAGES_FIX =
  'Next.js parsed it (its API-route body parser is on by default): add `export const config = { api: { bodyParser: false } };` to this pages/api file.';

/** App Router route handler over an existing instance: `export const POST = appRouteHandler(sync)`. */
export function appRouteHandler(sync: ClerkSyncSource): AppRouteHandler {
  return async (request) => {
    const receiver = await receiverOf(sync);
    return 'handle' in receiver ? receiver.handle(request) : toFetchResponse(receiver);
  };
}

/**
 * Pages Router API route over an existing instance. The file must also say
 * `export const config = { api: { bodyParser: false } }` (Next only reads it from the page file
 * itself); without it the handler answers 500 `body_already_parsed` naming that fix.
 */
export function pagesApiHandler(sync: ClerkSyncSource): PagesApiHandler {
  const webhook = nodeWebhookHandler(sync, { parsedBodyFix: PAGES_FIX });
  return (req, res) =>
    new Promise<void>((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
      webhook(req, res);
    });
}

export interface NextClerkSyncOptions<AppDatabase = {}> extends ClerkSyncOptions<AppDatabase> {
  /** Instances are shared per process under this key (default "default"). */
  key?: string;
}

export interface NextClerkSync<AppDatabase = {}> {
  /** `export const { POST } = clerkSyncNext(...)` in app/api/webhooks/route.ts. */
  POST: AppRouteHandler;
  /** `export default clerkSyncNext(...).pagesApi` in pages/api/webhooks.ts (plus the bodyParser config). */
  pagesApi: PagesApiHandler;
  /**
   * `export const GET = clerkSync.cron` in a route that Vercel Cron calls (app/api/cron/clerk-sync/route.ts):
   * processes due events (retries coming due while no webhook arrives), behind `Authorization: Bearer $CRON_SECRET`.
   */
  cron: AppRouteHandler;
  /** The started instance: migrations applied, worker running (unless serverless). Created on first use, once per process. */
  ready(): Promise<ClerkSync<AppDatabase>>;
}

/**
 * clerk-sync for a Next.js app. Nothing happens at import (so `next build` needs no secret or
 * database): the first request (or `ready()`, e.g. from instrumentation.ts) creates the instance
 * and applies migrations. On a long-lived server it starts the worker in this process; on a
 * serverless host (Vercel, Netlify, Lambda) events are processed after each response through
 * next/server's `after()`, and `cron` serves a scheduler. The instance lives on globalThis, so
 * Next's separate bundles and dev-mode reloads share one instead of starting several workers.
 */
export function clerkSyncNext<AppDatabase = {}>(options: NextClerkSyncOptions<AppDatabase> = {}): NextClerkSync<AppDatabase> {
  const { key = 'default', ...rest } = options;
  // Next apps have no other window on the worker: log like `clerk-sync serve` unless told otherwise.
  const logger = rest.logger ?? createLogger((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const ready = sharedInstance<AppDatabase>(key, async () => ({ ...rest, logger, waitUntil: rest.waitUntil ?? (await nextAfter()) ?? undefined }), logger);
  const lazy = whenAwaited(ready);
  return { POST: appRouteHandler(lazy), pagesApi: pagesApiHandler(lazy), cron: drainHandler(lazy), ready };
}

/**
 * `after` from next/server (Next.js 15.1 and later), or null. Looked up from this package, then
 * from the app's directory (where `next start` runs), for a clerk-sync linked from elsewhere.
 * The import is left to Node (webpackIgnore), so it is the very module the Next server runs.
 */
async function nextAfter(): Promise<WaitUntil | null> {
  const load = async (specifier: string) => {
    try {
      const mod = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ specifier)) as { after?: unknown };
      return typeof mod.after === 'function' ? (mod.after as WaitUntil) : null;
    } catch {
      return null;
    }
  };
  const fromApp = () => {
    try {
      return pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve('next/server')).href;
    } catch {
      return null;
    }
  };
  const fromHere = await load('next/server');
  if (fromHere) return fromHere;
  const url = fromApp();
  return url ? load(url) : null;
}
