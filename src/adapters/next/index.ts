import type { IncomingMessage, ServerResponse } from 'node:http';
import { createClerkSync, type ClerkSync, type ClerkSyncOptions } from '../../clerk-sync.js';
import { toFetchResponse } from '../../http/response.js';
import { createLogger, type LogLevel } from '../../log.js';
import { nodeWebhookHandler } from '../node/index.js';
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
  /** The started instance: migrations applied, worker running. Created on first use, once per process. */
  ready(): Promise<ClerkSync<AppDatabase>>;
}

type Registry = Map<string, Promise<ClerkSync<any>>>;
const REGISTRY = Symbol.for('clerk-sync.next.instances');

/**
 * clerk-sync for a Next.js app. Nothing happens at import (so `next build` needs no secret or
 * database): the first request (or `ready()`, e.g. from instrumentation.ts) creates the instance,
 * applies migrations and starts the worker in this process. The instance lives on globalThis, so
 * Next's separate bundles and dev-mode reloads share one instead of starting several workers.
 */
export function clerkSyncNext<AppDatabase = {}>(options: NextClerkSyncOptions<AppDatabase> = {}): NextClerkSync<AppDatabase> {
  const { key = 'default', ...rest } = options;
  // Next apps have no other window on the worker: log like `clerk-sync serve` unless told otherwise.
  const syncOptions = { ...rest, logger: rest.logger ?? createLogger((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info') };
  const registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map()) as Registry;
  const ready = (): Promise<ClerkSync<AppDatabase>> => {
    let instance = registry.get(key) as Promise<ClerkSync<AppDatabase>> | undefined;
    if (!instance) {
      instance = (async () => {
        const sync = await createClerkSync(syncOptions);
        try {
          await sync.start();
        } catch (error) {
          await sync.stop().catch(() => {});
          throw error;
        }
        return sync;
      })();
      registry.set(key, instance);
      // A failed start (database down, missing secret) is retried on the next request.
      instance.catch((error: unknown) => {
        registry.delete(key);
        syncOptions.logger.error('clerk-sync could not start', { error: error instanceof Error ? error.message : String(error) });
      });
    }
    return instance;
  };
  const lazy: PromiseLike<ClerkSync<AppDatabase>> = { then: (onFulfilled, onRejected) => ready().then(onFulfilled, onRejected) };
  return { POST: appRouteHandler(lazy), pagesApi: pagesApiHandler(lazy), ready };
}
