import { sql, type Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/** Inbox, attempts, and the first synced tables: users, organizations, memberships. */
export function coreMigration(dialect: DialectName) {
  const { json, bool } = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('clerk_webhook_events')
        .addColumn('svix_id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('event_timestamp', 'bigint')
        .addColumn('instance_id', 'text')
        .addColumn('entity_id', 'text')
        .addColumn('headers', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('processed_by', 'text')
        .addColumn('last_error', 'text')
        .addColumn('processed_at', 'bigint')
        .execute();
      // The worker's claim query walks runnable events in due order; a partial index keeps it
      // O(batch) however many done events the inbox holds.
      await db.schema
        .createIndex('clerk_webhook_events_runnable')
        .on('clerk_webhook_events')
        .column('next_attempt_at')
        .where(sql.ref('status'), 'in', [sql.lit('pending'), sql.lit('failed')])
        .execute();
      await db.schema.createIndex('clerk_webhook_events_status').on('clerk_webhook_events').columns(['status', 'received_at']).execute();
      await db.schema.createIndex('clerk_webhook_events_received').on('clerk_webhook_events').column('received_at').execute();
      await db.schema.createIndex('clerk_webhook_events_entity').on('clerk_webhook_events').column('entity_id').execute();
      await db.schema.createIndex('clerk_webhook_events_type').on('clerk_webhook_events').columns(['type', 'received_at']).execute();

      if (dialect === 'postgres') {
        // Wake idle workers on every machine the moment events are committed (LISTEN/NOTIFY).
        await sql`create function clerk_sync_notify_events() returns trigger language plpgsql as $$
          begin perform pg_notify('clerk_sync_events', ''); return null; end $$`.execute(db);
        await sql`create trigger clerk_sync_notify_events after insert on clerk_webhook_events
          for each statement execute function clerk_sync_notify_events()`.execute(db);
      }

      await db.schema
        .createTable('clerk_webhook_attempts')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('svix_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('duration_ms', 'real', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('clerk_webhook_attempts_event').on('clerk_webhook_attempts').columns(['svix_id', 'attempt']).execute();

      await db.schema
        .createTable('clerk_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text')
        .addColumn('external_id', 'text')
        .addColumn('first_name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('username', 'text')
        .addColumn('primary_email_address_id', 'text')
        .addColumn('primary_email_address', 'text')
        .addColumn('primary_phone_number_id', 'text')
        .addColumn('primary_phone_number', 'text')
        .addColumn('primary_web3_wallet_id', 'text')
        .addColumn('primary_web3_wallet', 'text')
        .addColumn('image_url', 'text')
        .addColumn('has_image', bool)
        .addColumn('public_metadata', json)
        .addColumn('private_metadata', json)
        .addColumn('unsafe_metadata', json)
        .addColumn('banned', bool)
        .addColumn('locked', bool)
        .addColumn('password_enabled', bool)
        .addColumn('two_factor_enabled', bool)
        .addColumn('last_sign_in_at', 'bigint')
        .addColumn('last_active_at', 'bigint')
        .addColumn('created_at', 'bigint')
        .addColumn('updated_at', 'bigint')
        .addColumn('deleted_at', 'bigint')
        .addColumn('payload', json)
        .execute();
      await db.schema.createIndex('clerk_users_primary_email').on('clerk_users').column('primary_email_address').execute();
      await db.schema.createIndex('clerk_users_external_id').on('clerk_users').column('external_id').execute();

      await db.schema
        .createTable('clerk_organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text')
        .addColumn('name', 'text')
        .addColumn('slug', 'text')
        .addColumn('image_url', 'text')
        .addColumn('has_image', bool)
        .addColumn('created_by', 'text')
        .addColumn('max_allowed_memberships', 'integer')
        .addColumn('admin_delete_enabled', bool)
        .addColumn('members_count', 'integer')
        .addColumn('public_metadata', json)
        .addColumn('private_metadata', json)
        .addColumn('created_at', 'bigint')
        .addColumn('updated_at', 'bigint')
        .addColumn('deleted_at', 'bigint')
        .addColumn('payload', json)
        .execute();
      await db.schema.createIndex('clerk_organizations_slug').on('clerk_organizations').column('slug').execute();

      await db.schema
        .createTable('clerk_organization_memberships')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text')
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('role', 'text')
        .addColumn('role_name', 'text')
        .addColumn('permissions', json)
        .addColumn('public_metadata', json)
        .addColumn('private_metadata', json)
        .addColumn('created_at', 'bigint')
        .addColumn('updated_at', 'bigint')
        .addColumn('deleted_at', 'bigint')
        .addColumn('payload', json)
        .execute();
      await db.schema.createIndex('clerk_organization_memberships_org').on('clerk_organization_memberships').columns(['organization_id', 'user_id']).execute();
      await db.schema.createIndex('clerk_organization_memberships_user').on('clerk_organization_memberships').column('user_id').execute();
    },
  };
}
