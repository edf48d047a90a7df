import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The inbox's insert trigger notifies a channel of its own schema (`clerk_sync_events_<schema>`;
 * plain `clerk_sync_events` in `public`, as before), so that installations in two schemas of one
 * database (`--pg-schema`) do not wake each other's workers. See pg-schema.ts.
 */
export function schemaChannelMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`create or replace function clerk_sync_notify_events() returns trigger language plpgsql as $$
        begin
          perform pg_notify(case when TG_TABLE_SCHEMA = 'public' then 'clerk_sync_events' else 'clerk_sync_events_' || TG_TABLE_SCHEMA end, '');
          return null;
        end $$`.execute(db);
    },
  };
}
