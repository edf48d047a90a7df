import { sql } from 'kysely';
import type { Database } from '../store/database.js';
import { pendingMigrations } from '../store/migrate.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready, with what to do. */
  reason?: string;
  pending_migrations?: string[];
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
    return { ready: false, reason: `database ${database.description} unreachable: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
