import type { Logger, LogFields } from '../log.js';
import type { EventProcessor } from '../processing.js';
import { HandlerTimeoutError } from './errors.js';
import type { EventHandlers } from './registry.js';
import type { HandlerContext } from './types.js';

export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

export interface HandlingOptions<AppDatabase> {
  /** The built-in processing (table sync), applied first where `shouldSync(type)`. */
  base: EventProcessor;
  shouldSync: (type: string) => boolean;
  handlers: EventHandlers<AppDatabase>;
  timeoutMs: number;
  logger: Logger;
}

/**
 * The worker's processing step with handlers: sync first, then each matching handler in order,
 * all in the worker's transaction. A throw anywhere rolls the event's writes back and the worker
 * retries it (or dead-letters it for a PermanentError).
 */
export function handlingProcessor<AppDatabase>(options: HandlingOptions<AppDatabase>): EventProcessor {
  const { base, shouldSync, handlers, timeoutMs, logger } = options;
  return async (trx, event, row, sql) => {
    if (shouldSync(event.type)) await base(trx, event, row, sql);
    const matching = handlers.for(event.type);
    if (matching.length === 0) return;
    // Handlers read and write through the transaction directly: the sync's deferred writes go first.
    await sql.flush();

    const controller = new AbortController();
    const ctx: HandlerContext<AppDatabase> = {
      svixId: row.svix_id,
      attempt: row.attempts + 1,
      logger: withFields(logger, { svix_id: row.svix_id, type: event.type }),
      // The same transaction, typed to also see the app's tables.
      trx: trx as unknown as HandlerContext<AppDatabase>['trx'],
      signal: controller.signal,
    };
    const run = (async () => {
      for (const handler of matching) await handler(event, ctx);
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new HandlerTimeoutError(event.type, timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    // A handler that fails after its timeout already failed the event; its late rejection is moot.
    run.catch(() => {});
    try {
      await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function withFields(logger: Logger, fields: LogFields): Logger {
  return {
    debug: (msg, more) => logger.debug(msg, { ...fields, ...more }),
    info: (msg, more) => logger.info(msg, { ...fields, ...more }),
    warn: (msg, more) => logger.warn(msg, { ...fields, ...more }),
    error: (msg, more) => logger.error(msg, { ...fields, ...more }),
  };
}
