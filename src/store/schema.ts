import type { ColumnType, Generated, SqlBool } from 'kysely';

/**
 * The typed description of every table clerk-sync owns, for apps that query them with Kysely:
 *   const db = new Kysely<ClerkSyncDatabase>({ dialect })
 *
 * Conventions, identical on SQLite and PostgreSQL:
 * - times are Unix epoch milliseconds (`bigint` on PostgreSQL, returned as numbers);
 * - JSON columns hold the JSON text on SQLite and `jsonb` on PostgreSQL (returned parsed there);
 * - booleans are `boolean` on PostgreSQL and 0/1 on SQLite.
 */
export type EpochMs = number;
export type JsonColumn = ColumnType<string | unknown, string, string>;

/**
 * `pending` waits for a worker; `failed` waits for its next retry; `dead` gave up after the last
 * retry; `done` applied; `skipped` type outside the catalog. Workers claim events inside their
 * processing transaction, so no "processing" status is ever committed.
 */
export type EventStatus = 'pending' | 'done' | 'failed' | 'dead' | 'skipped';

/** The inbox: one row per delivered Svix message, keyed by svix-id. */
export interface WebhookEventsTable {
  svix_id: string;
  type: string;
  status: EventStatus;
  /** Envelope `timestamp` (ms) when present. */
  event_timestamp: EpochMs | null;
  instance_id: string | null;
  /** `data.id` of the event, so an entity's history can be found. */
  entity_id: string | null;
  /** JSON object of the delivery headers that matter (svix-*, webhook-*, content-type, user-agent). */
  headers: string;
  /** The raw body exactly as received. */
  body: string;
  received_at: EpochMs;
  attempts: Generated<number>;
  next_attempt_at: EpochMs;
  /** The worker that last processed (or failed) it. */
  processed_by: string | null;
  last_error: string | null;
  processed_at: EpochMs | null;
}

/** One row per processing attempt of an event. */
export interface WebhookAttemptsTable {
  id: Generated<number>;
  svix_id: string;
  attempt: number;
  started_at: EpochMs;
  duration_ms: number;
  outcome: 'done' | 'failed' | 'dead' | 'skipped';
  error: string | null;
}

export interface UsersTable {
  id: string;
  instance_id: string | null;
  external_id: string | null;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  primary_email_address_id: string | null;
  primary_email_address: string | null;
  primary_phone_number_id: string | null;
  primary_phone_number: string | null;
  primary_web3_wallet_id: string | null;
  primary_web3_wallet: string | null;
  image_url: string | null;
  has_image: SqlBool | null;
  public_metadata: JsonColumn | null;
  private_metadata: JsonColumn | null;
  unsafe_metadata: JsonColumn | null;
  banned: SqlBool | null;
  locked: SqlBool | null;
  password_enabled: SqlBool | null;
  two_factor_enabled: SqlBool | null;
  last_sign_in_at: EpochMs | null;
  last_active_at: EpochMs | null;
  created_at: EpochMs | null;
  updated_at: EpochMs | null;
  deleted_at: EpochMs | null;
  payload: JsonColumn | null;
}

export interface OrganizationsTable {
  id: string;
  instance_id: string | null;
  name: string | null;
  slug: string | null;
  image_url: string | null;
  has_image: SqlBool | null;
  created_by: string | null;
  max_allowed_memberships: number | null;
  admin_delete_enabled: SqlBool | null;
  members_count: number | null;
  public_metadata: JsonColumn | null;
  private_metadata: JsonColumn | null;
  created_at: EpochMs | null;
  updated_at: EpochMs | null;
  deleted_at: EpochMs | null;
  payload: JsonColumn | null;
}

export interface OrganizationMembershipsTable {
  id: string;
  instance_id: string | null;
  organization_id: string;
  user_id: string | null;
  role: string | null;
  role_name: string | null;
  permissions: JsonColumn | null;
  public_metadata: JsonColumn | null;
  private_metadata: JsonColumn | null;
  created_at: EpochMs | null;
  updated_at: EpochMs | null;
  deleted_at: EpochMs | null;
  payload: JsonColumn | null;
}

/** Columns every synced table ends with. `payload` is the latest full JSON payload applied. */
export interface Versioned {
  created_at: EpochMs | null;
  updated_at: EpochMs | null;
  payload: JsonColumn | null;
}

/** Versioned rows that Clerk (or a parent's deletion) can end: `deleted_at` set means ended, for good. */
export interface Deletable extends Versioned {
  deleted_at: EpochMs | null;
}

/**
 * A user's email addresses, from `email_addresses` of the newest user payload: the whole set is
 * replaced when a newer user event applies, and deleted with the user. Keyed by (user_id, id):
 * `id` is Clerk's `idn_...` (migration 009; an entry without one is not stored apart).
 */
export interface UserEmailAddressesTable extends Versioned {
  id: string;
  user_id: string;
  instance_id: string | null;
  email_address: string | null;
  /** Whether this is the user's primary_email_address_id. */
  is_primary: SqlBool;
  verification_status: string | null;
  verification_strategy: string | null;
  reserved: SqlBool | null;
  linked_to: JsonColumn | null;
}

export interface UserPhoneNumbersTable extends Versioned {
  id: string;
  user_id: string;
  instance_id: string | null;
  phone_number: string | null;
  is_primary: SqlBool;
  verification_status: string | null;
  verification_strategy: string | null;
  reserved: SqlBool | null;
  reserved_for_second_factor: SqlBool | null;
  default_second_factor: SqlBool | null;
  linked_to: JsonColumn | null;
}

export interface UserExternalAccountsTable extends Versioned {
  id: string;
  user_id: string;
  instance_id: string | null;
  /** e.g. `oauth_google`. */
  provider: string | null;
  provider_user_id: string | null;
  identification_id: string | null;
  email_address: string | null;
  email_address_verified: SqlBool | null;
  first_name: string | null;
  last_name: string | null;
  username: string | null;
  phone_number: string | null;
  image_url: string | null;
  label: string | null;
  approved_scopes: string | null;
  verification_status: string | null;
  verification_strategy: string | null;
  public_metadata: JsonColumn | null;
}

export interface UserWeb3WalletsTable extends Versioned {
  id: string;
  user_id: string;
  instance_id: string | null;
  web3_wallet: string | null;
  is_primary: SqlBool;
  verification_status: string | null;
  verification_strategy: string | null;
}

export interface OrganizationInvitationsTable extends Deletable {
  id: string;
  instance_id: string | null;
  organization_id: string | null;
  email_address: string | null;
  role: string | null;
  role_name: string | null;
  /** `pending`, then `accepted`, `revoked` or `expired` (final). */
  status: string | null;
  /** The user who accepted it. */
  user_id: string | null;
  inviter_id: string | null;
  url: string | null;
  public_metadata: JsonColumn | null;
  private_metadata: JsonColumn | null;
  expires_at: EpochMs | null;
}

export interface OrganizationDomainsTable extends Deletable {
  id: string;
  instance_id: string | null;
  organization_id: string | null;
  name: string | null;
  /** `manual_invitation`, `automatic_invitation`, `automatic_suggestion` or `enterprise_sso`. */
  enrollment_mode: string | null;
  affiliation_email_address: string | null;
  /** Of `affiliation_verification` (or its deprecated alias `verification`). */
  verification_status: string | null;
  verification_strategy: string | null;
  ownership_verification_status: string | null;
  ownership_verification_strategy: string | null;
  total_pending_invitations: number | null;
  total_pending_suggestions: number | null;
}

export interface RolesTable extends Deletable {
  id: string;
  instance_id: string | null;
  /** e.g. `org:admin`; what clerk_organization_memberships.role holds. */
  key: string | null;
  name: string | null;
  description: string | null;
  is_creator_eligible: SqlBool | null;
}

export interface PermissionsTable extends Deletable {
  id: string;
  instance_id: string | null;
  /** e.g. `org:posts:create`. */
  key: string | null;
  name: string | null;
  description: string | null;
  type: string | null;
}

/** Which permissions a role grants, from the newest role payload listing them. */
export interface RolePermissionsTable {
  role_id: string;
  permission_id: string;
}

/** Application invitations (`invitation.*`); `deleted_at`: gone from Clerk's list (set by reconcile). */
export interface InvitationsTable extends Deletable {
  id: string;
  instance_id: string | null;
  email_address: string | null;
  /** `pending`, then `accepted`, `revoked` or `expired` (final). */
  status: string | null;
  revoked: SqlBool | null;
  url: string | null;
  public_metadata: JsonColumn | null;
  expires_at: EpochMs | null;
}

/** `deleted_at`: gone from Clerk's list (set by reconcile; Clerk sends no event when an entry is deleted). */
export interface WaitlistEntriesTable extends Deletable {
  id: string;
  instance_id: string | null;
  email_address: string | null;
  /** `pending`, `invited`, `rejected` or `completed`. */
  status: string | null;
  is_locked: SqlBool | null;
  invitation_id: string | null;
}

export interface SessionsTable extends Deletable {
  id: string;
  instance_id: string | null;
  user_id: string | null;
  client_id: string | null;
  /** `active` or `pending`; or final: `ended`, `removed`, `revoked`, `expired`, `abandoned`, `replaced`. */
  status: string | null;
  last_active_at: EpochMs | null;
  last_active_organization_id: string | null;
  expire_at: EpochMs | null;
  abandon_at: EpochMs | null;
  actor: JsonColumn | null;
}

/** Emails Clerk asked to send (`email.created`); deliver them yourself where delivered_by_clerk is false. */
export interface EmailsTable {
  id: string;
  instance_id: string | null;
  to_email_address: string | null;
  from_email_name: string | null;
  reply_to_email_name: string | null;
  subject: string | null;
  slug: string | null;
  status: string | null;
  delivered_by_clerk: SqlBool | null;
  user_id: string | null;
  email_address_id: string | null;
  body: string | null;
  body_plain: string | null;
  data: JsonColumn | null;
  /** When the event was sent (the payload carries no time). */
  created_at: EpochMs | null;
  payload: JsonColumn | null;
}

/** SMS messages Clerk asked to send (`sms.created`). */
export interface SmsMessagesTable {
  id: string;
  instance_id: string | null;
  to_phone_number: string | null;
  from_phone_number: string | null;
  message: string | null;
  slug: string | null;
  status: string | null;
  delivered_by_clerk: SqlBool | null;
  user_id: string | null;
  phone_number_id: string | null;
  data: JsonColumn | null;
  created_at: EpochMs | null;
  payload: JsonColumn | null;
}

export interface SubscriptionsTable extends Versioned {
  id: string;
  instance_id: string | null;
  /** `active`, `past_due`, `canceled`, `ended`, `abandoned` or `incomplete`. */
  status: string | null;
  payer_id: string | null;
  /** Set when the payer is a user. */
  payer_user_id: string | null;
  /** Set when the payer is an organization. */
  payer_organization_id: string | null;
  payment_source_id: string | null;
  latest_payment_id: string | null;
  active_at: EpochMs | null;
  canceled_at: EpochMs | null;
  ended_at: EpochMs | null;
  past_due_at: EpochMs | null;
}

/** `deleted_at`: gone from Clerk's list (set by reconcile). */
export interface SubscriptionItemsTable extends Deletable {
  id: string;
  instance_id: string | null;
  subscription_id: string | null;
  status: string | null;
  is_free_trial: SqlBool | null;
  plan_id: string | null;
  plan_name: string | null;
  plan_slug: string | null;
  /** In the currency's smallest unit (cents). */
  plan_amount: number | null;
  plan_currency: string | null;
  interval: string | null;
  seats: number | null;
  payer_id: string | null;
  payer_user_id: string | null;
  payer_organization_id: string | null;
  period_start: EpochMs | null;
  period_end: EpochMs | null;
}

export interface PaymentAttemptsTable extends Versioned {
  id: string;
  instance_id: string | null;
  payment_id: string | null;
  statement_id: string | null;
  gateway_external_id: string | null;
  /** `pending`, `paid` or `failed`. */
  status: string | null;
  charge_type: string | null;
  /** totals.grand_total, in the currency's smallest unit. */
  amount: number | null;
  currency: string | null;
  payer_id: string | null;
  payer_user_id: string | null;
  payer_organization_id: string | null;
  payment_source_id: string | null;
  paid_at: EpochMs | null;
  failed_at: EpochMs | null;
  failed_reason: JsonColumn | null;
  billing_date: EpochMs | null;
  /** JSON array of the subscription item ids this attempt paid for. */
  subscription_item_ids: JsonColumn | null;
}

/** How many events are in each status, per shard (migration 010; see inbox/rollups.ts). */
export interface EventCountsTable {
  status: EventStatus;
  /** Which writer's row: one per PostgreSQL connection modulo 16, 0 on SQLite. Sum over them. */
  shard: number;
  n: number;
}

/** The inbox's activity per minute and shard (migration 010; see inbox/rollups.ts). */
export interface EventActivityTable {
  /** The minute's start (epoch ms). */
  minute: EpochMs;
  shard: number;
  received: Generated<number>;
  /** Received in the catalog, or replayed: for a worker to take. */
  queued: Generated<number>;
  /** Finished `done` or `skipped`. */
  processed: Generated<number>;
  /** Failed attempts, to be retried. */
  failed: Generated<number>;
  /** Events that went dead. */
  dead: Generated<number>;
  /** Receipt to the end of the first attempt, summed over lag_count events. */
  lag_sum_ms: Generated<number>;
  lag_count: Generated<number>;
  lag_max_ms: Generated<number>;
}

/** Audit log of dashboard / admin API actions (migration 004): who did what, when. */
export interface AdminActionsTable {
  id: Generated<number>;
  at: EpochMs;
  /** `dashboard` (cookie session) or `api` (bearer token): both mean "holder of the admin token". */
  actor: string;
  /** e.g. `login`, `replay`, `replay_filter`. */
  action: string;
  /** The svix-id, or the JSON filter of a bulk replay. */
  target: string | null;
  /** Events affected. */
  count: number | null;
  remote_address: string | null;
}

/** Dashboard sessions ended by a logout before their expiry (migration 006). */
export interface EndedSessionsTable {
  nonce: string;
  expires_at: EpochMs;
}

/** Progress of `clerk-sync backfill` (migration 003): one row per resource imported from Clerk's Backend API. */
export interface BackfillTable {
  /** `users`, `organizations` or `organization_memberships`. */
  resource: string;
  /** Which Clerk instance the progress belongs to: the API URL and a fingerprint of the secret key. */
  source: string;
  /** `running` until the last page is in (an interrupted run stays `running` and resumes), then `done`. */
  status: 'running' | 'done';
  /** List offset of the next page to fetch. */
  next_offset: number;
  /** `total_count` as Clerk last reported it, when it does. */
  total: number | null;
  imported: number;
  started_at: EpochMs;
  updated_at: EpochMs;
  finished_at: EpochMs | null;
  /** JSON array of the last ids of the committed page: the next page must contain one of them to continue it (migration 008). */
  anchor: string | null;
  /** Which listing of the resource, where it takes several (migration 008). */
  part: number | null;
}

/** One run of `clerk-sync reconcile`, scheduled or not (migration 008). */
export interface ReconcileRunsTable {
  id: Generated<number>;
  /** `apply`, or `dry-run` (nothing written but this row). */
  mode: 'apply' | 'dry-run';
  /** `cli`, `schedule` (serve --reconcile-every) or `drain` (the serverless cron route). */
  trigger: string;
  /** `running`, then `succeeded`, `capped` (a deletion was refused by the safety cap), `failed` or `interrupted`. */
  status: 'running' | 'succeeded' | 'capped' | 'failed' | 'interrupted';
  instance_id: string | null;
  /** JSON object: per resource, its counts (see ReconcileCounts in src/reconcile/). */
  resources: string;
  error: string | null;
  started_at: EpochMs;
  /** Renewed while the run works; a `running` row whose heartbeat stopped was killed. */
  heartbeat_at: EpochMs;
  finished_at: EpochMs | null;
}

/** Where a reconcile resumes, per resource (migration 008). */
export interface ReconcileProgressTable extends Omit<BackfillTable, 'status' | 'part'> {
  part: number;
  /** `pending` until its turn in the run, `running` while listing, `listed` once the listing is complete (sweep pending), `done`. */
  status: 'pending' | 'running' | 'listed' | 'done';
  /** When the listing started: a row changed after it (minus a clock margin) is never swept. */
  listing_started_at: EpochMs;
  /** 1 when a page did not continue the one before (objects deleted meanwhile): nothing is swept. */
  shifted: number;
  /** JSON object of the counts so far. */
  counts: string;
}

/** Ids the current reconcile listing found, per resource: the mark of mark and sweep (migration 008). */
export interface ReconcileSeenTable {
  resource: string;
  id: string;
}

/** Named leases: the job `name` runs in the process `holder` until `expires_at` (renewed while it works). */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: EpochMs;
}

export interface ClerkSyncDatabase {
  clerk_webhook_events: WebhookEventsTable;
  clerk_webhook_attempts: WebhookAttemptsTable;
  clerk_webhook_event_counts: EventCountsTable;
  clerk_webhook_event_activity: EventActivityTable;
  clerk_users: UsersTable;
  clerk_organizations: OrganizationsTable;
  clerk_organization_memberships: OrganizationMembershipsTable;
  clerk_user_email_addresses: UserEmailAddressesTable;
  clerk_user_phone_numbers: UserPhoneNumbersTable;
  clerk_user_external_accounts: UserExternalAccountsTable;
  clerk_user_web3_wallets: UserWeb3WalletsTable;
  clerk_organization_invitations: OrganizationInvitationsTable;
  clerk_organization_domains: OrganizationDomainsTable;
  clerk_roles: RolesTable;
  clerk_permissions: PermissionsTable;
  clerk_role_permissions: RolePermissionsTable;
  clerk_invitations: InvitationsTable;
  clerk_waitlist_entries: WaitlistEntriesTable;
  clerk_sessions: SessionsTable;
  clerk_emails: EmailsTable;
  clerk_sms_messages: SmsMessagesTable;
  clerk_subscriptions: SubscriptionsTable;
  clerk_subscription_items: SubscriptionItemsTable;
  clerk_payment_attempts: PaymentAttemptsTable;
  clerk_sync_backfill: BackfillTable;
  clerk_sync_reconcile_runs: ReconcileRunsTable;
  clerk_sync_reconcile_progress: ReconcileProgressTable;
  clerk_sync_reconcile_seen: ReconcileSeenTable;
  clerk_sync_leases: LeasesTable;
  clerk_sync_admin_actions: AdminActionsTable;
  clerk_sync_admin_ended_sessions: EndedSessionsTable;
}
