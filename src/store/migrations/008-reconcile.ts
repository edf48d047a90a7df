import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * What `clerk-sync reconcile` needs (src/reconcile/):
 * - `clerk_sync_reconcile_runs`: every run, with its counts per resource and its error, for the
 *   dashboard, the metrics and an operator's questions;
 * - `clerk_sync_reconcile_progress`: where an interrupted run resumes, per resource (the shape of
 *   `clerk_sync_backfill`, plus when the listing started and whether it stayed contiguous);
 * - `clerk_sync_reconcile_seen`: the ids the current listing found (the "mark" of mark and
 *   sweep), so the memory of a run does not grow with the instance;
 * - `clerk_sync_leases`: named leases that let one process at a time run a job across all of them;
 * - `deleted_at` on the tables whose objects Clerk removes without a `*.deleted` event, so a
 *   reconcile can mark them gone;
 * - `anchor` on `clerk_sync_backfill`: the last ids of the committed page, which tell whether the
 *   next page continues it (offset pagination shifts when objects are deleted meanwhile); `part`:
 *   which listing of a resource listed in several (invitations: the non-revoked, then the revoked).
 */
export function reconcileMigration(dialect: DialectName) {
  const serial = (c: any) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('clerk_sync_reconcile_runs')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', serial)
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text')
        .addColumn('resources', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('clerk_sync_reconcile_runs_started').on('clerk_sync_reconcile_runs').column('started_at').execute();

      await db.schema
        .createTable('clerk_sync_reconcile_progress')
        .addColumn('resource', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('part', 'integer', (c) => c.notNull())
        .addColumn('next_offset', 'integer', (c) => c.notNull())
        .addColumn('total', 'integer')
        .addColumn('imported', 'integer', (c) => c.notNull())
        .addColumn('anchor', 'text')
        .addColumn('listing_started_at', 'bigint', (c) => c.notNull())
        .addColumn('shifted', 'integer', (c) => c.notNull())
        .addColumn('counts', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();

      await db.schema
        .createTable('clerk_sync_reconcile_seen')
        .addColumn('resource', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('clerk_sync_reconcile_seen_pk', ['resource', 'id'])
        .execute();

      await db.schema
        .createTable('clerk_sync_leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();

      for (const table of ['clerk_invitations', 'clerk_waitlist_entries', 'clerk_subscription_items']) {
        await db.schema.alterTable(table).addColumn('deleted_at', 'bigint').execute();
      }
      await db.schema.alterTable('clerk_sync_backfill').addColumn('anchor', 'text').execute();
      await db.schema.alterTable('clerk_sync_backfill').addColumn('part', 'integer').execute();
    },
  };
}
