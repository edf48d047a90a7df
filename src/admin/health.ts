import { sql } from 'kysely';
import type { Database } from '../store/database.js';
import { storeProblem } from '../store/errors.js';
import { pendingMigrations } from '../store/migrate.js';
import type { WorkerHealth } from '../worker/worker.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready, with what to do. Public: it names no host, user or database (`detail` does, for the log). */
  reason?: string;
  pending_migrations?: string[];
  /** The database's own words, for the server log only. */
  detail?: string;
}

/** /readyz: the database answers within `timeoutMs` and every migration is applied. */
export async function checkReadiness(database: Database, timeoutMs = 3000): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(database.db), deadline]);
    const pending = await Promise.race([pendingMigrations(database.db, database.dialect), deadline]);
    if (pending.length > 0) return { ready: false, reason: `migrations not applied: ${pending.join(', ')}; run \`clerk-sync migrate\``, pending_migrations: pending };
    return { ready: true };
  } catch (error) {
    const detail = `database ${database.description}: ${error instanceof Error ? error.message : String(error)}`;
    return { ready: false, reason: `the database does not answer (${storeProblem(error)}); the server log has the details`, detail };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A worker's health as /readyz shows it. A worker that keeps failing does not make the process
 * unready (its receiver still stores events): it shows as a field, without the error itself,
 * which may name the database; the log and /metrics carry the rest.
 */
export function publicWorkerHealth(health: WorkerHealth): Record<string, unknown> {
  if (health.ok) return { ok: true };
  return { ok: false, failing_since: new Date(health.failing_since).toISOString(), consecutive_failures: health.consecutive_failures, reason: 'its batches keep failing; the server log says why' };
}
