import { createClerkSync, type ClerkSync, type ClerkSyncOptions } from '../clerk-sync.js';
import type { Logger } from '../log.js';

type Registry = Map<string, Promise<ClerkSync<any>>>;
const REGISTRY = Symbol.for('clerk-sync.instances');

/**
 * One started clerk-sync per process and `key`, created on first use: nothing happens at import
 * (so a build needs no secret or database). The instance lives on globalThis, so separate bundles
 * of one app and dev-mode reloads share one instead of starting several. A failed start (database
 * down, missing secret) is logged and tried again on the next call.
 */
export function sharedInstance<AppDatabase>(key: string, options: () => Promise<ClerkSyncOptions<AppDatabase>>, logger: Logger): () => Promise<ClerkSync<AppDatabase>> {
  const registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map()) as Registry;
  return () => {
    let instance = registry.get(key) as Promise<ClerkSync<AppDatabase>> | undefined;
    if (!instance) {
      instance = (async () => {
        const sync = await createClerkSync(await options());
        try {
          await sync.start();
        } catch (error) {
          await sync.stop().catch(() => {});
          throw error;
        }
        return sync;
      })();
      registry.set(key, instance);
      instance.catch((error: unknown) => {
        registry.delete(key);
        logger.error('clerk-sync could not start', { error: error instanceof Error ? error.message : String(error) });
      });
    }
    return instance;
  };
}

/** A promise-like that creates the instance when first awaited: what the adapters take. */
export function whenAwaited<T>(ready: () => Promise<T>): PromiseLike<T> {
  return { then: (onFulfilled, onRejected) => ready().then(onFulfilled, onRejected) };
}
