import type { Database } from '../store/database.js';

export interface AdminAction {
  actor: 'api' | 'dashboard';
  action: 'login' | 'login_failed' | 'replay' | 'replay_filter';
  target?: string | null;
  count?: number | null;
  remoteAddress?: string | null;
}

/** Appends to clerk_sync_admin_actions: who (API token or dashboard session), what, when, from where. */
export async function recordAction(database: Database, a: AdminAction, now = Date.now()): Promise<void> {
  await database.db
    .insertInto('clerk_sync_admin_actions')
    .values({ at: now, actor: a.actor, action: a.action, target: a.target ?? null, count: a.count ?? null, remote_address: a.remoteAddress ?? null })
    .execute();
}

/** The newest actions first. */
export async function recentActions(database: Database, limit = 50) {
  const rows = await database.db.selectFrom('clerk_sync_admin_actions').selectAll().orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), at: Number(r.at) }));
}
