import type { Logger } from '../log.js';
import { startPeriodic } from '../periodic.js';
import type { Database } from '../store/database.js';
import { ClerkApi, DEFAULT_CLERK_API_URL, sourceOf } from './clerk-api.js';
import type { ReconcileResource } from './resources.js';
import { ReconcileBusyError, runReconcile, type ReconcileResult } from './run.js';
import type { ReconcileTrigger } from './runs.js';
import { recentRuns } from './runs.js';
import type { DeleteCap } from './sweep.js';
import { total } from './counts.js';

/** Where the Backend API secret key is read from when the options do not give it. */
export const CLERK_SECRET_KEY_ENV = 'CLERK_SECRET_KEY';
/** Shortest interval a schedule accepts: a reconcile lists everything, every time. */
export const MIN_RECONCILE_EVERY_MS = 60_000;
/** A run that failed is tried again after this long, not only a whole interval later. */
export const RETRY_FAILED_AFTER_MS = 600_000;
/** How long after start the schedule first looks whether a run is due. */
const FIRST_CHECK_AFTER_MS = 5_000;
const CHECK_EVERY_MS = 60_000;

export interface ReconcileScheduleOptions {
  /** How often (ms) a reconcile runs; at least one minute. */
  everyMs: number;
  /** Default: $CLERK_SECRET_KEY. */
  secretKey?: string;
  /** Default: https://api.clerk.com/v1 */
  apiUrl?: string;
  maxDeletes?: DeleteCap;
  resources?: readonly ReconcileResource[];
  pageSize?: number;
}

/**
 * Whether a run is due: no run completed (succeeded, or capped: it ran, a person must look)
 * within the interval; and the last one either stopped half-way (a budget, a restart: it resumes)
 * or started long enough ago that a failure is not retried in a loop. Read from the runs table,
 * so every process sees the same answer.
 */
export async function reconcileDue(database: Database, everyMs: number, now = Date.now()): Promise<boolean> {
  const runs = (await recentRuns(database, 50, now)).filter((r) => r.mode === 'apply');
  const last = runs[0];
  if (!last) return true;
  if (last.status === 'running') return false;
  const completed = runs.find((r) => r.status === 'succeeded' || r.status === 'capped');
  if (completed && now - completed.startedAt < everyMs) return false;
  if (last.status === 'interrupted') return true;
  return now - (last.finishedAt ?? last.startedAt) >= Math.min(RETRY_FAILED_AFTER_MS, everyMs);
}

/** The key, or why there is none (a configuration error the caller reports). */
export function scheduleKey(options: ReconcileScheduleOptions): string {
  const key = options.secretKey ?? process.env[CLERK_SECRET_KEY_ENV];
  if (!key) throw new Error(`reconciling on a schedule reads Clerk's Backend API: set ${CLERK_SECRET_KEY_ENV} to the instance's Secret Key (Clerk Dashboard → API keys, sk_live_... or sk_test_...)`);
  if (/^whsec_/.test(key)) throw new Error(`${CLERK_SECRET_KEY_ENV} holds a webhook signing secret (whsec_...); reconcile needs the Backend API Secret Key (sk_live_... or sk_test_...)`);
  if (!(options.everyMs >= MIN_RECONCILE_EVERY_MS)) throw new Error(`a reconcile interval must be at least 1m (it lists everything every time); 24h suits most instances, got ${options.everyMs} ms`);
  return key;
}

/**
 * One scheduled step: runs (or resumes) a reconcile when one is due and no other process runs
 * one, within `signal` (a serverless budget). Never throws: the outcome is logged and recorded.
 */
export async function reconcileIfDue(database: Database, options: ReconcileScheduleOptions, logger: Logger, run: { trigger: ReconcileTrigger; signal?: AbortSignal }): Promise<ReconcileResult | null> {
  try {
    if (!(await reconcileDue(database, options.everyMs))) return null;
    const secretKey = scheduleKey(options);
    const apiUrl = options.apiUrl ?? DEFAULT_CLERK_API_URL;
    const api = new ClerkApi({
      apiUrl,
      secretKey,
      onRateLimited: (ms) => logger.info('reconcile: rate limited by Clerk, waiting', { wait_ms: ms }),
      onRetry: (why, ms) => logger.warn('reconcile: Clerk did not answer, retrying', { error: why, wait_ms: ms }),
    });
    logger.info('reconcile: starting', { trigger: run.trigger });
    const result = await runReconcile({
      database, api, source: sourceOf(apiUrl, secretKey), trigger: run.trigger, signal: run.signal,
      maxDeletes: options.maxDeletes, resources: options.resources, pageSize: options.pageSize,
      onNote: (resource, note) => logger.warn(`reconcile: ${note}`, { resource }),
    });
    logger[result.status === 'succeeded' || result.status === 'interrupted' ? 'info' : 'warn'](`reconcile: ${result.status}`, {
      run: result.runId, instance: result.instanceId, newer_in_clerk: total(result.resources, 'newer_in_clerk'), missing_locally: total(result.resources, 'missing_locally'), gone_from_clerk: total(result.resources, 'gone_from_clerk'), deleted: total(result.resources, 'deleted'),
    });
    return result;
  } catch (error) {
    if (error instanceof ReconcileBusyError) logger.debug('reconcile: another process runs it', { error: error.message });
    else logger.error('reconcile failed; the next check tries again', { error: (error as Error).message });
    return null;
  }
}

/** Reconciles on a schedule in the background of a long-lived process (`serve --reconcile-every`). */
export function startReconcileSchedule(database: Database, options: ReconcileScheduleOptions, logger: Logger): { stop(): Promise<void> } {
  scheduleKey(options);
  // Stopping aborts a run in progress after its page in flight; the next start resumes it.
  return startPeriodic((signal) => reconcileIfDue(database, options, logger, { trigger: 'schedule', signal }), { firstAfterMs: FIRST_CHECK_AFTER_MS, everyMs: Math.min(CHECK_EVERY_MS, options.everyMs) });
}
