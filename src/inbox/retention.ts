import type { Database } from '../store/database.js';
import { sqlDialect } from '../store/dialect.js';
import { SqlWriter } from '../store/sql-writer.js';
import { InboxTally } from './rollups.js';

/** Statuses a purge may remove. Waiting events (pending, failed) are never purged. */
export type PurgeableStatus = 'done' | 'skipped' | 'dead';

/** What retention removes by default: events that are finished and need nothing more. */
export const DEFAULT_PURGED_STATUSES: readonly PurgeableStatus[] = ['done', 'skipped'];

/**
 * The shortest retention `serve` accepts: Svix retries a delivery for about 28 hours, and a
 * purged svix-id that comes again is applied again (harmlessly for the tables, but your handlers
 * would run twice).
 */
export const MIN_RETENTION_MS = 2 * 86_400_000;

export interface PurgeOptions {
  /** Events received before this time (epoch ms) go. */
  before: number;
  statuses?: readonly PurgeableStatus[];
  /** Events per delete (and per transaction); default 1000. */
  chunkSize?: number;
  /** Count only. */
  dryRun?: boolean;
  onProgress?: (purged: number, matched: number) => void;
}

/**
 * Deletes finished events received before `before`, with their attempts, a chunk per
 * transaction, oldest first, so a purge of millions never holds one long lock. Events still
 * waiting (pending, failed) are never touched. Returns how many matched and how many went.
 */
export async function purgeEvents(database: Database, options: PurgeOptions): Promise<{ matched: number; purged: number }> {
  const statuses = [...(options.statuses ?? DEFAULT_PURGED_STATUSES)];
  const chunkSize = options.chunkSize ?? 1000;
  const matching = () => database.db.selectFrom('clerk_webhook_events').where('status', 'in', statuses).where('received_at', '<', options.before);
  const { n } = await matching().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const matched = Number(n);
  if (options.dryRun || matched === 0) return { matched, purged: 0 };
  let purged = 0;
  for (;;) {
    const done = await database.db.transaction().execute(async (trx) => {
      const ids = (await trx.selectFrom('clerk_webhook_events').select('svix_id').where('status', 'in', statuses).where('received_at', '<', options.before).orderBy('received_at').limit(chunkSize).execute()).map((r) => r.svix_id);
      if (ids.length === 0) return 0;
      await trx.deleteFrom('clerk_webhook_attempts').where('svix_id', 'in', ids).execute();
      const deleted = await trx.deleteFrom('clerk_webhook_events').where('svix_id', 'in', ids).where('status', 'in', statuses).returning('status').execute();
      const tally = new InboxTally();
      for (const { status } of deleted) tally.purged(status, 1);
      await tally.write(new SqlWriter(trx, sqlDialect(database.dialect)));
      return deleted.length;
    });
    if (done === 0) break;
    purged += done;
    options.onProgress?.(purged, matched);
  }
  return { matched, purged };
}
