import type { Database } from '../store/database.js';
import { countEvents, listEvents, MAX_PAGE_SIZE, type EventFilter, type EventPage } from './browse.js';
import { InboxQueue } from './queue.js';

export interface ReplayProgress {
  /** Events matching the filter when the replay started. */
  total: number;
  /** Re-queued so far. */
  requeued: number;
}

export interface ReplayOptions {
  /** Events re-queued per statement; default 500. */
  chunkSize?: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Called after each chunk so a local worker starts at once. */
  notify?: () => void;
  now?: number;
}

/**
 * Re-queues every event matching `filter` (status pending, fresh attempt budget, due now), chunk
 * by chunk in received order, so a replay of 100,000 events never holds them all in memory or
 * one long lock. Events received after the replay started are left alone.
 */
export async function replayEvents(database: Database, filter: EventFilter, options: ReplayOptions = {}): Promise<ReplayProgress> {
  const now = options.now ?? Date.now();
  const chunkSize = options.chunkSize ?? 500;
  const bounded: EventFilter = { ...filter, until: Math.min(filter.until ?? now + 1, now + 1) };
  const total = await countEvents(database, bounded);
  const progress: ReplayProgress = { total, requeued: 0 };
  options.onProgress?.({ ...progress });
  const queue = new InboxQueue(database);
  let cursor: string | null = null;
  do {
    const page: EventPage = await listEvents(database, bounded, { limit: Math.min(chunkSize, MAX_PAGE_SIZE), cursor });
    progress.requeued += await queue.requeue(page.events.map((e) => e.svix_id), Date.now());
    options.notify?.();
    options.onProgress?.({ ...progress, total: Math.max(progress.total, progress.requeued) });
    cursor = page.nextCursor;
  } while (cursor);
  progress.total = Math.max(progress.total, progress.requeued);
  return progress;
}
