import type { Database } from '../store/database.js';
import type { ReconcileRunsTable } from '../store/schema.js';
import { emptyCounts, type ReconcileCounts } from './counts.js';

export type ReconcileTrigger = 'cli' | 'schedule' | 'drain';
export type ReconcileStatus = ReconcileRunsTable['status'];

/** A run as the dashboard, the admin API and the metrics see it. */
export interface ReconcileRun {
  id: number;
  mode: 'apply' | 'dry-run';
  trigger: string;
  status: ReconcileStatus;
  instanceId: string | null;
  resources: Record<string, ReconcileCounts>;
  error: string | null;
  startedAt: number;
  heartbeatAt: number;
  finishedAt: number | null;
}

/** A `running` row whose heartbeat is older than this was killed: it shows as interrupted. */
export const RUN_HEARTBEAT_STALE_MS = 120_000;

function parseResources(text: string): Record<string, ReconcileCounts> {
  try {
    const parsed = JSON.parse(text) as Record<string, Partial<ReconcileCounts>>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, { ...emptyCounts(), ...v }]));
  } catch {
    return {};
  }
}

function toRun(row: Record<string, unknown>, now: number): ReconcileRun {
  const heartbeatAt = Number(row.heartbeat_at);
  const status = row.status as ReconcileStatus;
  return {
    id: Number(row.id),
    mode: row.mode as ReconcileRun['mode'],
    trigger: String(row.trigger),
    // A process killed mid-run leaves its row running; once its heartbeat is stale it is not.
    status: status === 'running' && now - heartbeatAt > RUN_HEARTBEAT_STALE_MS ? 'interrupted' : status,
    instanceId: (row.instance_id as string | null) ?? null,
    resources: parseResources(String(row.resources)),
    error: (row.error as string | null) ?? null,
    startedAt: Number(row.started_at),
    heartbeatAt,
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

/** Records the start of a run; answers its id. */
export async function startRun(database: Database, run: { mode: ReconcileRun['mode']; trigger: ReconcileTrigger; resources: readonly string[] }, now = Date.now()): Promise<number> {
  const row = await database.db
    .insertInto('clerk_sync_reconcile_runs')
    .values({ mode: run.mode, trigger: run.trigger, status: 'running', instance_id: null, resources: JSON.stringify(Object.fromEntries(run.resources.map((r) => [r, emptyCounts()]))), error: null, started_at: now, heartbeat_at: now, finished_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Saves a run's counts so far (and that it is alive). */
export async function updateRun(database: Database, id: number, update: { instanceId?: string | null; resources: Record<string, ReconcileCounts> }, now = Date.now()): Promise<void> {
  await database.db
    .updateTable('clerk_sync_reconcile_runs')
    .set({ resources: JSON.stringify(update.resources), heartbeat_at: now, ...(update.instanceId !== undefined ? { instance_id: update.instanceId } : {}) })
    .where('id', '=', id)
    .execute();
}

export async function finishRun(database: Database, id: number, end: { status: Exclude<ReconcileStatus, 'running'>; resources: Record<string, ReconcileCounts>; error: string | null; instanceId: string | null }, now = Date.now()): Promise<void> {
  await database.db
    .updateTable('clerk_sync_reconcile_runs')
    .set({ status: end.status, resources: JSON.stringify(end.resources), error: end.error, instance_id: end.instanceId, heartbeat_at: now, finished_at: now })
    .where('id', '=', id)
    .execute();
}

/** The newest runs first. */
export async function recentRuns(database: Database, limit = 50, now = Date.now()): Promise<ReconcileRun[]> {
  const rows = await database.db.selectFrom('clerk_sync_reconcile_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => toRun(r as unknown as Record<string, unknown>, now));
}

/** What the metrics need: the newest run that applied and ran to its end, and the newest success. */
export async function reconcileStatus(database: Database, now = Date.now()): Promise<{ lastFinished: ReconcileRun | null; lastSuccessAt: number | null }> {
  // An interrupted run counted only part of the listing; the run that resumes it counts it all.
  const finished = await database.db.selectFrom('clerk_sync_reconcile_runs').selectAll().where('mode', '=', 'apply').where('finished_at', 'is not', null).where('status', '<>', 'interrupted').orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
  const success = await database.db.selectFrom('clerk_sync_reconcile_runs').select('finished_at').where('mode', '=', 'apply').where('status', '=', 'succeeded').orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
  return {
    lastFinished: finished ? toRun(finished as unknown as Record<string, unknown>, now) : null,
    lastSuccessAt: success?.finished_at == null ? null : Number(success.finished_at),
  };
}

/** The newest run still at work (a stale heartbeat makes it interrupted, not running), or null. */
export async function runningRun(database: Database, now = Date.now()): Promise<ReconcileRun | null> {
  const row = await database.db
    .selectFrom('clerk_sync_reconcile_runs')
    .selectAll()
    .where('status', '=', 'running')
    .where('heartbeat_at', '>=', now - RUN_HEARTBEAT_STALE_MS)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toRun(row as unknown as Record<string, unknown>, now) : null;
}
