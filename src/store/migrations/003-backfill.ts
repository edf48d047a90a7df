import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Progress of `clerk-sync backfill`, one row per imported resource, so an interrupted import
 * resumes where it stopped. Each page's rows and its progress commit in one transaction.
 */
export function backfillMigration(_dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('clerk_sync_backfill')
        .addColumn('resource', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('next_offset', 'integer', (c) => c.notNull())
        .addColumn('total', 'integer')
        .addColumn('imported', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
    },
  };
}
