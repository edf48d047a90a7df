import { isKnownEventType } from '../events/catalog.js';
import { backlogNow } from '../inbox/stats.js';
import type { Database } from '../store/database.js';
import type { ProcessedInfo } from '../processing.js';
import type { WorkerHealth } from '../worker/worker.js';
import { DRIFT_KINDS } from '../reconcile/counts.js';
import { reconcileStatus } from '../reconcile/runs.js';
import { Counter, gauge, Histogram, labelledGauge } from './prometheus.js';

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
  readonly received = new Counter('clerk_sync_events_received_total', 'Webhook events verified and stored, by event type (types outside the catalog as "other").', 'type');
  readonly rejected = new Counter('clerk_sync_events_rejected_total', 'Webhook deliveries refused, by error code (see docs/api.md).', 'code');
  readonly processed = new Counter('clerk_sync_events_processed_total', 'Events processed successfully (applied, or skipped as outside the catalog), by outcome.', 'outcome');
  readonly failed = new Counter('clerk_sync_events_failed_total', 'Processing attempts that failed and were scheduled for a retry.');
  readonly dead = new Counter('clerk_sync_events_dead_total', 'Events that failed their last attempt and were given up (status dead).');
  readonly conflictingDuplicates = new Counter('clerk_sync_conflicting_duplicates_total', 'Deliveries that reused a stored svix-id with a different body (the first was kept, this one dropped).');
  readonly batchFailures = new Counter('clerk_sync_worker_batch_failures_total', 'Worker batches that failed as a whole (the database refused or was away) and were retried.');
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
    // A label per catalog type, and one for the rest: a type is whatever the sender wrote, and
    // each distinct label value is a series kept for good.
    onStored: (type: string) => this.received.inc(isKnownEventType(type) ? type : 'other'),
    onRejected: (code: string) => this.rejected.inc(code),
    onProcessed: (info: ProcessedInfo) => this.recordProcessed(info),
    onBatchFailed: () => this.batchFailures.inc(),
    onConflictingDuplicate: () => this.conflictingDuplicates.inc(),
  };

  recordProcessed(info: ProcessedInfo): void {
    this.duration.observe(info.durationMs / 1000);
    if (info.outcome === 'done' || info.outcome === 'skipped') this.processed.inc(info.outcome);
    else if (info.outcome === 'failed') this.failed.inc();
    else this.dead.inc();
  }

  /** The exposition text; reads the backlog gauges with one indexed query. `worker`: this process's, if it has one. */
  async render(database: Database, now = Date.now(), worker?: WorkerHealth): Promise<string> {
    const { backlog, oldestPendingAgeMs } = await backlogNow(database, now);
    const reconcile = await reconcileStatus(database, now);
    const last = reconcile.lastFinished;
    return [
      this.received.render(),
      this.rejected.render(),
      this.processed.render(),
      this.failed.render(),
      this.dead.render(),
      this.batchFailures.render(),
      this.conflictingDuplicates.render(),
      this.duration.render(),
      ...(worker ? [gauge('clerk_sync_worker_failing', "1 while this process's worker fails batch after batch (see /readyz), else 0.", worker.ok ? 0 : 1)] : []),
      gauge('clerk_sync_backlog_events', 'Events waiting for a worker now (pending, failed awaiting retry), in the shared database.', backlog),
      gauge('clerk_sync_oldest_pending_age_seconds', 'Age of the oldest waiting event, in seconds; 0 when none waits.', oldestPendingAgeMs / 1000),
      // Reconcile: what the newest finished run found, and when one last succeeded (alert when old).
      labelledGauge(
        'clerk_sync_reconcile_drift',
        'What the newest finished reconcile found different from Clerk, per resource and kind (newer_in_clerk, missing_locally, gone_from_clerk, local_newer).',
        last ? Object.entries(last.resources).flatMap(([resource, counts]) => DRIFT_KINDS.map((kind): [Record<string, string>, number] => [{ resource, kind }, counts[kind]])) : [],
      ),
      ...(last ? [gauge('clerk_sync_reconcile_last_run_succeeded', 'Whether the newest finished reconcile succeeded (1), or was capped, failed or interrupted (0).', last.status === 'succeeded' ? 1 : 0)] : []),
      ...(reconcile.lastSuccessAt !== null ? [gauge('clerk_sync_reconcile_last_success_timestamp_seconds', 'When a reconcile last succeeded (Unix seconds); alert when it is older than the schedule allows.', reconcile.lastSuccessAt / 1000)] : []),
    ].join('');
  }
}
