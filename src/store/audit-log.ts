import type { Database } from './database.js';

/**
 * The audit log, clerk_sync_admin_actions: who did what to the inbox, when, from where. Actors: the
 * API token, a dashboard session, the CLI, the retention schedule.
 */
export interface AdminAction {
  actor: 'api' | 'dashboard' | 'cli' | 'retention';
  action: 'login' | 'login_failed' | 'replay' | 'replay_filter' | 'purge' | 'recount';
  target?: string | null;
  count?: number | null;
  remoteAddress?: string | null;
}

/** Appends to clerk_sync_admin_actions: who (API token or dashboard session), what, when, from where. Returns its id. */
export async function recordAction(database: Database, a: AdminAction, now = Date.now()): Promise<number> {
  const row = await database.db
    .insertInto('clerk_sync_admin_actions')
    .values({ at: now, actor: a.actor, action: a.action, target: a.target ?? null, count: a.count ?? null, remote_address: a.remoteAddress ?? null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Sets the count of a recorded action (failed logins of one address, counted in one row). */
export async function countAction(database: Database, id: number, count: number): Promise<void> {
  await database.db.updateTable('clerk_sync_admin_actions').set({ count }).where('id', '=', id).execute();
}

/** The newest actions first. */
export async function recentActions(database: Database, limit = 50) {
  const rows = await database.db.selectFrom('clerk_sync_admin_actions').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), at: Number(r.at) }));
}
