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
 * processing transaction, so `processing` is never committed by clerk-sync itself; it is kept
 * for tools that want to park an event by hand.
 */
export type EventStatus = 'pending' | 'processing' | 'done' | 'failed' | 'dead' | 'skipped';

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

export interface ClerkSyncDatabase {
  clerk_webhook_events: WebhookEventsTable;
  clerk_webhook_attempts: WebhookAttemptsTable;
  clerk_users: UsersTable;
  clerk_organizations: OrganizationsTable;
  clerk_organization_memberships: OrganizationMembershipsTable;
}
