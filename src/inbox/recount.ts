import { sql } from 'kysely';
import type { Database } from '../store/database.js';
import { recountActivity, recountStatuses } from '../store/migrations/010-inbox-rollups.js';
import type { EventStatus } from '../store/schema.js';
import { countsByStatus } from './stats.js';

export interface RecountResult {
  /** Events per status as the counters said before, and as the inbox holds them. */
  before: Record<EventStatus, number>;
  after: Record<EventStatus, number>;
  /** The per-minute activity was rebuilt too. */
  activity: boolean;
  ms: number;
}

/**
 * Sets the inbox's counters (rollups.ts) from the inbox itself. clerk-sync keeps them with every
 * write it makes; rows written around it (by hand, by a process of a version before migration
 * 010 still running during an upgrade) leave them off, and this puts them right.
 *
 * One transaction that holds the inbox still while it counts (SQLite's write lock; on
 * PostgreSQL a share lock on the inbox and the attempt log): receivers and workers wait for it.
 * `activity` also rebuilds the per-minute history from the events and attempts still stored,
 * so the minutes of purged events lose what those counted.
 */
export async function recountCounters(database: Database, options: { activity?: boolean } = {}): Promise<RecountResult> {
  const started = performance.now();
  return database.db.transaction().execute(async (trx) => {
    if (database.dialect === 'postgres') await sql`lock table clerk_webhook_events, clerk_webhook_attempts in share mode`.execute(trx);
    const before = await countsByStatus(trx);
    await recountStatuses(trx);
    if (options.activity) await recountActivity(trx);
    const after = await countsByStatus(trx);
    return { before, after, activity: options.activity === true, ms: performance.now() - started };
  });
}
