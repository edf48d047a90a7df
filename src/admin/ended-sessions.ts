import type { Database } from '../store/database.js';
import type { EndedSessions, SessionId } from './auth.js';

/** Ended sessions in the database (clerk_sync_admin_ended_sessions), so every instance knows them. */
export function endedSessionsIn(database: Database): EndedSessions {
  const table = 'clerk_sync_admin_ended_sessions' as const;
  return {
    async has(nonce) {
      const row = await database.db.selectFrom(table).select('nonce').where('nonce', '=', nonce).executeTakeFirst();
      return row !== undefined;
    },
    async add(session: SessionId, now = Date.now()) {
      await database.db.deleteFrom(table).where('expires_at', '<=', now).execute();
      await database.db.insertInto(table).values({ nonce: session.nonce, expires_at: session.expiresAt }).onConflict((oc) => oc.column('nonce').doNothing()).execute();
    },
  };
}
