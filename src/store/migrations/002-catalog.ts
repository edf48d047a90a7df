import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import { columnTypes, type DialectName } from '../dialect.js';

/**
 * The rest of Clerk's catalog: users' email addresses, phone numbers, external accounts and web3
 * wallets; organization invitations and domains; roles and permissions; application invitations;
 * sessions; waitlist entries; outgoing emails and SMS; billing. Also one active membership per
 * organization and user (see src/sync/memberships.ts for how the sync keeps it).
 */
export function catalogMigration(dialect: DialectName) {
  const { json, bool } = columnTypes(dialect);

  /** created_at / updated_at (/ deleted_at) and payload, in that order, closing every table. */
  const tail = (t: CreateTableBuilder<any, any>, options: { deleted?: boolean } = {}) => {
    t = t.addColumn('created_at', 'bigint').addColumn('updated_at', 'bigint');
    if (options.deleted) t = t.addColumn('deleted_at', 'bigint');
    return t.addColumn('payload', json);
  };

  return {
    async up(db: Kysely<any>): Promise<void> {
      const index = (name: string, table: string, columns: string[]) => db.schema.createIndex(name).on(table).columns(columns).execute();

      // ---- a user's child rows: replaced whenever the user's own upsert applies. `id` is Clerk's id
      // (distinct per user by construction: the sync writes each user's set at once, deduplicated);
      // rows are found by user_id, or by address.
      await tail(
        db.schema
          .createTable('clerk_user_email_addresses')
          .addColumn('id', 'text')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text')
          .addColumn('email_address', 'text')
          .addColumn('is_primary', bool, (c) => c.notNull())
          .addColumn('verification_status', 'text')
          .addColumn('verification_strategy', 'text')
          .addColumn('reserved', bool)
          .addColumn('linked_to', json),
      ).execute();
      await index('clerk_user_email_addresses_user', 'clerk_user_email_addresses', ['user_id']);
      await index('clerk_user_email_addresses_address', 'clerk_user_email_addresses', ['email_address']);

      await tail(
        db.schema
          .createTable('clerk_user_phone_numbers')
          .addColumn('id', 'text')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text')
          .addColumn('phone_number', 'text')
          .addColumn('is_primary', bool, (c) => c.notNull())
          .addColumn('verification_status', 'text')
          .addColumn('verification_strategy', 'text')
          .addColumn('reserved', bool)
          .addColumn('reserved_for_second_factor', bool)
          .addColumn('default_second_factor', bool)
          .addColumn('linked_to', json),
      ).execute();
      await index('clerk_user_phone_numbers_user', 'clerk_user_phone_numbers', ['user_id']);
      await index('clerk_user_phone_numbers_number', 'clerk_user_phone_numbers', ['phone_number']);

      await tail(
        db.schema
          .createTable('clerk_user_external_accounts')
          .addColumn('id', 'text')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text')
          .addColumn('provider', 'text')
          .addColumn('provider_user_id', 'text')
          .addColumn('identification_id', 'text')
          .addColumn('email_address', 'text')
          .addColumn('email_address_verified', bool)
          .addColumn('first_name', 'text')
          .addColumn('last_name', 'text')
          .addColumn('username', 'text')
          .addColumn('phone_number', 'text')
          .addColumn('image_url', 'text')
          .addColumn('label', 'text')
          .addColumn('approved_scopes', 'text')
          .addColumn('verification_status', 'text')
          .addColumn('verification_strategy', 'text')
          .addColumn('public_metadata', json),
      ).execute();
      await index('clerk_user_external_accounts_user', 'clerk_user_external_accounts', ['user_id']);
      await index('clerk_user_external_accounts_provider', 'clerk_user_external_accounts', ['provider', 'provider_user_id']);
      await index('clerk_user_external_accounts_address', 'clerk_user_external_accounts', ['email_address']);

      await tail(
        db.schema
          .createTable('clerk_user_web3_wallets')
          .addColumn('id', 'text')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text')
          .addColumn('web3_wallet', 'text')
          .addColumn('is_primary', bool, (c) => c.notNull())
          .addColumn('verification_status', 'text')
          .addColumn('verification_strategy', 'text'),
      ).execute();
      await index('clerk_user_web3_wallets_user', 'clerk_user_web3_wallets', ['user_id']);
      await index('clerk_user_web3_wallets_wallet', 'clerk_user_web3_wallets', ['web3_wallet']);

      // ---- organizations
      await tail(
        db.schema
          .createTable('clerk_organization_invitations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('organization_id', 'text')
          .addColumn('email_address', 'text')
          .addColumn('role', 'text')
          .addColumn('role_name', 'text')
          .addColumn('status', 'text')
          .addColumn('user_id', 'text')
          .addColumn('inviter_id', 'text')
          .addColumn('url', 'text')
          .addColumn('public_metadata', json)
          .addColumn('private_metadata', json)
          .addColumn('expires_at', 'bigint'),
        { deleted: true },
      ).execute();
      await index('clerk_organization_invitations_org', 'clerk_organization_invitations', ['organization_id', 'status']);
      await index('clerk_organization_invitations_address', 'clerk_organization_invitations', ['email_address']);
      await index('clerk_organization_invitations_user', 'clerk_organization_invitations', ['user_id']);

      await tail(
        db.schema
          .createTable('clerk_organization_domains')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('organization_id', 'text')
          .addColumn('name', 'text')
          .addColumn('enrollment_mode', 'text')
          .addColumn('affiliation_email_address', 'text')
          .addColumn('verification_status', 'text')
          .addColumn('verification_strategy', 'text')
          .addColumn('ownership_verification_status', 'text')
          .addColumn('ownership_verification_strategy', 'text')
          .addColumn('total_pending_invitations', 'integer')
          .addColumn('total_pending_suggestions', 'integer'),
        { deleted: true },
      ).execute();
      await index('clerk_organization_domains_org', 'clerk_organization_domains', ['organization_id']);
      await index('clerk_organization_domains_name', 'clerk_organization_domains', ['name']);

      // One active membership per organization and user. Memberships stored before this
      // migration may break that (the sync did not enforce it): end all but the newest first.
      await sql`
        update clerk_organization_memberships set deleted_at = coalesce(updated_at, created_at, 0)
         where deleted_at is null and user_id is not null
           and exists (
             select 1 from clerk_organization_memberships newer
              where newer.organization_id = clerk_organization_memberships.organization_id
                and newer.user_id = clerk_organization_memberships.user_id
                and newer.deleted_at is null
                and (coalesce(newer.created_at, 0) > coalesce(clerk_organization_memberships.created_at, 0)
                  or (coalesce(newer.created_at, 0) = coalesce(clerk_organization_memberships.created_at, 0)
                      and newer.id > clerk_organization_memberships.id)))`.execute(db);
      await db.schema
        .createIndex('clerk_organization_memberships_active')
        .unique()
        .on('clerk_organization_memberships')
        .columns(['organization_id', 'user_id'])
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();

      // ---- roles and permissions
      await tail(
        db.schema
          .createTable('clerk_roles')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('key', 'text')
          .addColumn('name', 'text')
          .addColumn('description', 'text')
          .addColumn('is_creator_eligible', bool),
        { deleted: true },
      ).execute();
      await index('clerk_roles_key', 'clerk_roles', ['key']);

      await tail(
        db.schema
          .createTable('clerk_permissions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('key', 'text')
          .addColumn('name', 'text')
          .addColumn('description', 'text')
          .addColumn('type', 'text'),
        { deleted: true },
      ).execute();
      await index('clerk_permissions_key', 'clerk_permissions', ['key']);

      await db.schema
        .createTable('clerk_role_permissions')
        .addColumn('role_id', 'text', (c) => c.notNull())
        .addColumn('permission_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('clerk_role_permissions_pk', ['role_id', 'permission_id'])
        .execute();
      await index('clerk_role_permissions_permission', 'clerk_role_permissions', ['permission_id']);

      // ---- application invitations, waitlist, sessions
      await tail(
        db.schema
          .createTable('clerk_invitations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('email_address', 'text')
          .addColumn('status', 'text')
          .addColumn('revoked', bool)
          .addColumn('url', 'text')
          .addColumn('public_metadata', json)
          .addColumn('expires_at', 'bigint'),
      ).execute();
      await index('clerk_invitations_address', 'clerk_invitations', ['email_address']);

      await tail(
        db.schema
          .createTable('clerk_waitlist_entries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('email_address', 'text')
          .addColumn('status', 'text')
          .addColumn('is_locked', bool)
          .addColumn('invitation_id', 'text'),
      ).execute();
      await index('clerk_waitlist_entries_address', 'clerk_waitlist_entries', ['email_address']);

      await tail(
        db.schema
          .createTable('clerk_sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('user_id', 'text')
          .addColumn('client_id', 'text')
          .addColumn('status', 'text')
          .addColumn('last_active_at', 'bigint')
          .addColumn('last_active_organization_id', 'text')
          .addColumn('expire_at', 'bigint')
          .addColumn('abandon_at', 'bigint')
          .addColumn('actor', json),
        { deleted: true },
      ).execute();
      await index('clerk_sessions_user', 'clerk_sessions', ['user_id']);

      // ---- outgoing messages
      await db.schema
        .createTable('clerk_emails')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text')
        .addColumn('to_email_address', 'text')
        .addColumn('from_email_name', 'text')
        .addColumn('reply_to_email_name', 'text')
        .addColumn('subject', 'text')
        .addColumn('slug', 'text')
        .addColumn('status', 'text')
        .addColumn('delivered_by_clerk', bool)
        .addColumn('user_id', 'text')
        .addColumn('email_address_id', 'text')
        .addColumn('body', 'text')
        .addColumn('body_plain', 'text')
        .addColumn('data', json)
        .addColumn('created_at', 'bigint')
        .addColumn('payload', json)
        .execute();
      await index('clerk_emails_user', 'clerk_emails', ['user_id']);
      await index('clerk_emails_created', 'clerk_emails', ['created_at']);

      await db.schema
        .createTable('clerk_sms_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text')
        .addColumn('to_phone_number', 'text')
        .addColumn('from_phone_number', 'text')
        .addColumn('message', 'text')
        .addColumn('slug', 'text')
        .addColumn('status', 'text')
        .addColumn('delivered_by_clerk', bool)
        .addColumn('user_id', 'text')
        .addColumn('phone_number_id', 'text')
        .addColumn('data', json)
        .addColumn('created_at', 'bigint')
        .addColumn('payload', json)
        .execute();
      await index('clerk_sms_messages_user', 'clerk_sms_messages', ['user_id']);
      await index('clerk_sms_messages_created', 'clerk_sms_messages', ['created_at']);

      // ---- billing
      await tail(
        db.schema
          .createTable('clerk_subscriptions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('status', 'text')
          .addColumn('payer_id', 'text')
          .addColumn('payer_user_id', 'text')
          .addColumn('payer_organization_id', 'text')
          .addColumn('payment_source_id', 'text')
          .addColumn('latest_payment_id', 'text')
          .addColumn('active_at', 'bigint')
          .addColumn('canceled_at', 'bigint')
          .addColumn('ended_at', 'bigint')
          .addColumn('past_due_at', 'bigint'),
      ).execute();
      await index('clerk_subscriptions_payer_user', 'clerk_subscriptions', ['payer_user_id']);
      await index('clerk_subscriptions_payer_org', 'clerk_subscriptions', ['payer_organization_id']);

      await tail(
        db.schema
          .createTable('clerk_subscription_items')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('subscription_id', 'text')
          .addColumn('status', 'text')
          .addColumn('is_free_trial', bool)
          .addColumn('plan_id', 'text')
          .addColumn('plan_name', 'text')
          .addColumn('plan_slug', 'text')
          .addColumn('plan_amount', 'bigint')
          .addColumn('plan_currency', 'text')
          .addColumn('interval', 'text')
          .addColumn('seats', 'integer')
          .addColumn('payer_id', 'text')
          .addColumn('payer_user_id', 'text')
          .addColumn('payer_organization_id', 'text')
          .addColumn('period_start', 'bigint')
          .addColumn('period_end', 'bigint'),
      ).execute();
      await index('clerk_subscription_items_subscription', 'clerk_subscription_items', ['subscription_id']);
      await index('clerk_subscription_items_payer_user', 'clerk_subscription_items', ['payer_user_id']);
      await index('clerk_subscription_items_payer_org', 'clerk_subscription_items', ['payer_organization_id']);

      await tail(
        db.schema
          .createTable('clerk_payment_attempts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('instance_id', 'text')
          .addColumn('payment_id', 'text')
          .addColumn('statement_id', 'text')
          .addColumn('gateway_external_id', 'text')
          .addColumn('status', 'text')
          .addColumn('charge_type', 'text')
          .addColumn('amount', 'bigint')
          .addColumn('currency', 'text')
          .addColumn('payer_id', 'text')
          .addColumn('payer_user_id', 'text')
          .addColumn('payer_organization_id', 'text')
          .addColumn('payment_source_id', 'text')
          .addColumn('paid_at', 'bigint')
          .addColumn('failed_at', 'bigint')
          .addColumn('failed_reason', json)
          .addColumn('billing_date', 'bigint')
          .addColumn('subscription_item_ids', json),
      ).execute();
      await index('clerk_payment_attempts_payer_user', 'clerk_payment_attempts', ['payer_user_id']);
      await index('clerk_payment_attempts_payer_org', 'clerk_payment_attempts', ['payer_organization_id']);
    },
  };
}
