// Prisma's configuration for the querying example (Prisma 7 reads the CLI's connection URL here;
// the client gets its connection from a driver adapter, see prisma.ts).
//
// clerk-sync owns its tables: it creates and migrates them (`clerk-sync migrate`) and is the only
// writer. Prisma Migrate must never manage them: `prisma migrate dev` would see tables that no
// migration of the app created as drift and offer to reset the database (dropping them), and a
// migration generated from clerk.prisma would create them on its own terms, foreign keys
// included, which break the sync (webhooks arrive in any order: a membership may come before its
// user). Declared external, they stay queryable through Prisma Client while Migrate ignores them.
// The list names every table clerk-sync creates: the ones clerk.prisma models, and its own
// bookkeeping, which the app does not model but which is no drift of the app's either.
//
// External tables are a Preview feature, behind experimental.externalTables (as of Prisma 7.5, the version the tests pin: later 7.x releases need Node 22).
// On PostgreSQL the names are schema-qualified: `public.`, or the schema given to
// `clerk-sync --pg-schema`; on SQLite they are bare names.
import { defineConfig } from 'prisma/config';

/** The tables clerk.prisma models: `clerk-sync schema --format prisma` lists them. */
const SYNCED = [
  'clerk_users',
  'clerk_user_email_addresses',
  'clerk_user_phone_numbers',
  'clerk_user_external_accounts',
  'clerk_user_web3_wallets',
  'clerk_organizations',
  'clerk_organization_memberships',
  'clerk_organization_invitations',
  'clerk_organization_domains',
  'clerk_roles',
  'clerk_permissions',
  'clerk_role_permissions',
  'clerk_invitations',
  'clerk_waitlist_entries',
  'clerk_sessions',
  'clerk_emails',
  'clerk_sms_messages',
  'clerk_subscriptions',
  'clerk_subscription_items',
  'clerk_payment_attempts',
];

/** clerk-sync's own: the webhook inbox, its bookkeeping and its migrations (`--internal` lists all but the last). */
const INTERNAL = [
  'clerk_webhook_events',
  'clerk_webhook_attempts',
  'clerk_webhook_event_counts',
  'clerk_webhook_event_activity',
  'clerk_sync_backfill',
  'clerk_sync_admin_actions',
  'clerk_sync_admin_ended_sessions',
  'clerk_sync_reconcile_runs',
  'clerk_sync_reconcile_progress',
  'clerk_sync_reconcile_seen',
  'clerk_sync_leases',
  'clerk_sync_migrations',
];

export default defineConfig({
  // A folder: prisma/schema.prisma (the app's) and prisma/clerk.prisma (clerk-sync's).
  schema: 'prisma',
  // Only `migrate` and `db` commands connect; `prisma generate` and `validate` need no URL.
  datasource: { url: process.env.DATABASE_URL },
  experimental: { externalTables: true },
  tables: { external: [...SYNCED, ...INTERNAL].map((table) => `public.${table}`) },
});
