import { emptyCounts, type ReconcileCounts } from '../../src/reconcile/counts.js';
import { finishRun, startRun, updateRun } from '../../src/reconcile/runs.js';
import type { Database } from '../../src/store/database.js';

/** The note of the capped run below: what the dashboard and the API must show word for word. */
/** The error of the newest run: markup that the dashboard must show as text. */
export const HOSTILE_ERROR = 'Clerk answered 401: the secret key was refused <img src=x onerror="document.title=\'pwned\'">';

export const CAPPED_NOTE = 'refused to delete 40 of 52 users (over the safety cap of 10%): check the secret key names the right instance, then run clerk-sync reconcile again';

export interface SeededRuns {
  /** When the seeding happened; the runs are placed before it. */
  now: number;
  /** Oldest first: ok (apply, succeeded), dryRun, capped, interrupted, running, newestDryRun. */
  ids: { ok: number; dryRun: number; capped: number; interrupted: number; running: number; newestDryRun: number };
  /** When the succeeding apply run finished: the answer's lastSuccessAt. */
  okFinishedAt: number;
  /** The capped run's counts as finished. */
  cappedResources: Record<string, ReconcileCounts>;
}

const counts = (c: Partial<ReconcileCounts>): ReconcileCounts => ({ ...emptyCounts(), complete: true, ...c });

/**
 * Six runs as the reconcile engine leaves them, written through its own functions
 * (src/reconcile/runs.ts): one of each status, a dry run in between, and a dry run that started
 * after the running one (so the newest run is not the running one).
 */
export async function seedReconcileRuns(database: Database, now = Date.now()): Promise<SeededRuns> {
  const hour = 3_600_000;
  const resources = ['users', 'organizations', 'memberships'];

  const ok = await startRun(database, { mode: 'apply', trigger: 'cli', resources }, now - 5 * hour);
  const okFinishedAt = now - 5 * hour + 90_000;
  await finishRun(database, ok, {
    status: 'succeeded',
    instanceId: 'ins_test',
    error: null,
    resources: {
      users: counts({ listed: 120, in_sync: 114, newer_in_clerk: 3, missing_locally: 2, local_newer: 1, gone_from_clerk: 1, deleted: 1 }),
      organizations: counts({ listed: 8, in_sync: 8 }),
      memberships: counts({ listed: 30, in_sync: 29, missing_locally: 1 }),
    },
  }, okFinishedAt);

  const dryRun = await startRun(database, { mode: 'dry-run', trigger: 'cli', resources: ['users'] }, now - 4 * hour);
  await finishRun(database, dryRun, { status: 'succeeded', instanceId: 'ins_test', error: null, resources: { users: counts({ listed: 121, in_sync: 121 }) } }, now - 4 * hour + 30_000);

  const capped = await startRun(database, { mode: 'apply', trigger: 'schedule', resources: ['users', 'organizations'] }, now - 3 * hour);
  const cappedResources = {
    users: counts({ listed: 12, in_sync: 12, gone_from_clerk: 40, capped: true, note: CAPPED_NOTE }),
    organizations: counts({ listed: 8, in_sync: 7, newer_in_clerk: 1 }),
  };
  await updateRun(database, capped, { instanceId: 'ins_test', resources: { users: counts({ listed: 12, in_sync: 12, complete: false }), organizations: counts({ complete: false }) } }, now - 3 * hour + 10_000);
  await finishRun(database, capped, { status: 'capped', instanceId: 'ins_test', error: 'deletions refused by the safety cap for users; see its note', resources: cappedResources }, now - 3 * hour + 20_000);

  // Killed mid-run: still `running` in its row, but its heartbeat stopped long ago.
  const interrupted = await startRun(database, { mode: 'apply', trigger: 'schedule', resources: ['users'] }, now - 2 * hour);
  await updateRun(database, interrupted, { instanceId: 'ins_test', resources: { users: counts({ listed: 50, in_sync: 49, newer_in_clerk: 1, complete: false }) } }, now - 2 * hour + 60_000);

  const running = await startRun(database, { mode: 'apply', trigger: 'cli', resources: ['users'] }, now - 20_000);
  await updateRun(database, running, { instanceId: 'ins_test', resources: { users: counts({ listed: 20, in_sync: 20, complete: false }) } }, now);

  const newestDryRun = await startRun(database, { mode: 'dry-run', trigger: 'cli', resources: ['organizations'] }, now - 10_000);
  await finishRun(database, newestDryRun, { status: 'failed', instanceId: 'ins_test', error: HOSTILE_ERROR, resources: { organizations: counts({ complete: false }) } }, now - 9_000);

  return { now, ids: { ok, dryRun, capped, interrupted, running, newestDryRun }, okFinishedAt, cappedResources };
}
