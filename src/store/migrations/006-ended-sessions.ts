import type { Kysely } from 'kysely';

/**
 * Dashboard sessions ended by a logout before they expire. Sessions are signed cookies, valid on
 * every instance; a logout records the session here, so a copy of its cookie stops working
 * everywhere. Rows go once the session would have expired anyway.
 */
export function endedSessionsMigration() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('clerk_sync_admin_ended_sessions')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
