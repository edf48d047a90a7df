import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * What the dashboard and admin API need: indexes that keep their queries proportional to a page
 * (not to the inbox), and the audit log of admin actions.
 */
export function adminMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      // Keyset pagination walks (received_at, svix_id) descending; with received_at alone, every
      // page would sort the ties of its boundary timestamp.
      await db.schema.createIndex('clerk_webhook_events_received_id').on('clerk_webhook_events').columns(['received_at', 'svix_id']).execute();
      // It serves every query the received_at index did; each index costs every insert and every
      // status change of the inbox (a status change rewrites the row and all its index entries).
      await db.schema.dropIndex('clerk_webhook_events_received').ifExists().execute();
      // The overview's "processed over time" and backlog read events by when they finished; status
      // and received_at ride along so that query never touches the table.
      await db.schema.createIndex('clerk_webhook_events_processed').on('clerk_webhook_events').columns(['processed_at', 'status', 'received_at']).execute();
      // Attempt outcomes over time (processed / failed / dead charts).
      await db.schema.createIndex('clerk_webhook_attempts_started').on('clerk_webhook_attempts').column('started_at').execute();

      await db.schema
        .createTable('clerk_sync_admin_actions')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('count', 'integer')
        .addColumn('remote_address', 'text')
        .execute();
      await db.schema.createIndex('clerk_sync_admin_actions_at').on('clerk_sync_admin_actions').column('at').execute();
    },
  };
}
