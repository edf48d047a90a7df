import { backlogNow } from '../inbox/browse.js';
import type { Database } from '../store/database.js';
import type { ProcessedInfo } from '../processing.js';
import { Counter, gauge, Histogram } from './prometheus.js';

export const METRICS_TOKEN_ENV = 'CLERK_SYNC_METRICS_TOKEN';

/**
 * clerk-sync's Prometheus metrics. Counters live in this process (pass `hooks` to
 * createClerkSync); the backlog gauges are read from the database at scrape time, so every
 * instance reports the same shared queue.
 *
 *   const metrics = new ClerkSyncMetrics();
 *   const sync = await createClerkSync({ ...metrics.hooks });
 */
export class ClerkSyncMetrics {
  readonly received = new Counter('clerk_sync_events_received_total', 'Webhook events verified and stored, by event type.', 'type');
  readonly rejected = new Counter('clerk_sync_events_rejected_total', 'Webhook deliveries refused, by error code (see docs/api.md).', 'code');
  readonly processed = new Counter('clerk_sync_events_processed_total', 'Events processed successfully (applied, or skipped as outside the catalog), by outcome.', 'outcome');
  readonly failed = new Counter('clerk_sync_events_failed_total', 'Processing attempts that failed and were scheduled for a retry.');
  readonly dead = new Counter('clerk_sync_events_dead_total', 'Events that failed their last attempt and were given up (status dead).');
  readonly duration = new Histogram(
    'clerk_sync_event_processing_duration_seconds',
    'Time to apply one event (one attempt), in seconds.',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );

  constructor() {
    // Known label values start at 0, so rate() sees the series from the first scrape.
    this.processed.inc('done', 0);
    this.processed.inc('skipped', 0);
  }

  /** The createClerkSync options that feed these metrics. */
  readonly hooks = {
    onStored: (type: string) => this.received.inc(type),
    onRejected: (code: string) => this.rejected.inc(code),
    onProcessed: (info: ProcessedInfo) => this.recordProcessed(info),
  };

  recordProcessed(info: ProcessedInfo): void {
    this.duration.observe(info.durationMs / 1000);
    if (info.outcome === 'done' || info.outcome === 'skipped') this.processed.inc(info.outcome);
    else if (info.outcome === 'failed') this.failed.inc();
    else this.dead.inc();
  }

  /** The exposition text; reads the backlog gauges with one indexed query. */
  async render(database: Database, now = Date.now()): Promise<string> {
    const { backlog, oldestPendingAgeMs } = await backlogNow(database, now);
    return [
      this.received.render(),
      this.rejected.render(),
      this.processed.render(),
      this.failed.render(),
      this.dead.render(),
      this.duration.render(),
      gauge('clerk_sync_backlog_events', 'Events waiting for a worker now (pending, failed awaiting retry, processing), in the shared database.', backlog),
      gauge('clerk_sync_oldest_pending_age_seconds', 'Age of the oldest waiting event, in seconds; 0 when none waits.', oldestPendingAgeMs / 1000),
    ].join('');
  }
}
