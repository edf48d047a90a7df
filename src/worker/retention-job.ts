import type { Logger } from '../log.js';
import { recordAction } from '../store/audit-log.js';
import type { Database } from '../store/database.js';
import { purgeEvents } from '../inbox/retention.js';

/** How often the retention job looks for events to purge, and how long after start it first does. */
const EVERY_MS = 3_600_000;
const FIRST_AFTER_MS = 60_000;

/**
 * Purges finished events older than `maxAgeMs` (see purgeEvents) every hour, in the background of
 * a long-lived process; each purge that removed anything is logged and recorded in the audit log.
 * Several processes may run it: their deletes of the same rows are harmless.
 */
export function startRetentionJob(database: Database, maxAgeMs: number, logger: Logger, timing = { everyMs: EVERY_MS, firstAfterMs: FIRST_AFTER_MS }): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return;
    running = (async () => {
      try {
        const { purged } = await purgeEvents(database, { before: Date.now() - maxAgeMs });
        if (purged > 0) {
          logger.info('retention purged finished events', { purged, older_than_ms: maxAgeMs });
          await recordAction(database, { actor: 'retention', action: 'purge', target: `older than ${Math.round(maxAgeMs / 86_400_000)}d: done, skipped`, count: purged });
        }
      } catch (error) {
        logger.warn('retention could not purge; it tries again in an hour', { error: (error as Error).message });
      } finally {
        running = null;
      }
    })();
  };
  const first = setTimeout(run, timing.firstAfterMs);
  const every = setInterval(run, timing.everyMs);
  first.unref();
  every.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}
