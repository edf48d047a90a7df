import type { Logger } from '../log.js';
import { recordAction } from '../store/audit-log.js';
import type { Database } from '../store/database.js';
import { purgeEvents } from '../inbox/retention.js';
import { startPeriodic } from '../periodic.js';

/** How often the retention job looks for events to purge, and how long after start it first does. */
export const RETENTION_EVERY_MS = 3_600_000;
const FIRST_AFTER_MS = 60_000;

/**
 * One retention pass: purges finished events older than `maxAgeMs`; a purge that removed anything
 * is logged and recorded in the audit log. Never throws: a failed pass is logged and the next
 * one tries again.
 */
export async function purgeExpired(database: Database, maxAgeMs: number, logger: Logger): Promise<number> {
  try {
    const { purged } = await purgeEvents(database, { before: Date.now() - maxAgeMs });
    if (purged > 0) {
      logger.info('retention purged finished events', { purged, older_than_ms: maxAgeMs });
      await recordAction(database, { actor: 'retention', action: 'purge', target: `older than ${Math.round(maxAgeMs / 86_400_000)}d: done, skipped`, count: purged });
    }
    return purged;
  } catch (error) {
    logger.warn('retention could not purge; the next pass tries again', { error: (error as Error).message });
    return 0;
  }
}

/**
 * Runs purgeExpired every hour in the background of a long-lived process. Several processes may
 * run it: their deletes of the same rows are harmless.
 */
export function startRetentionJob(database: Database, maxAgeMs: number, logger: Logger, timing = { everyMs: RETENTION_EVERY_MS, firstAfterMs: FIRST_AFTER_MS }): { stop(): Promise<void> } {
  return startPeriodic(() => purgeExpired(database, maxAgeMs, logger), timing);
}
