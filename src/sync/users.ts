import type { RowOf } from './rows.js';
import { redactUserEvents } from '../inbox/redact.js';
import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { upsertNewer, upsertNewerApplied } from './guard.js';
import { insertTombstone } from './inserts.js';
import { lockForDeletion } from './parent-locks.js';
import { q, raw } from '../store/sql.js';
import { deleteUserChildren, replaceUserChildren } from './user-children.js';
import { SESSION_FINAL_STATUSES } from './statuses.js';
import { bool, int, json, primary, text, type Payload } from './values.js';

/** Columns of clerk_users from a Clerk User object (user.* events, and the `user` inside session events). */
export function userRow(d: Payload, ctx: SyncContext) {
  const email = primary(d.email_addresses, d.primary_email_address_id);
  const phone = primary(d.phone_numbers, d.primary_phone_number_id);
  const wallet = primary(d.web3_wallets, d.primary_web3_wallet_id);
  return {
    id: text(d.id),
    instance_id: ctx.instanceId,
    external_id: text(d.external_id),
    first_name: text(d.first_name),
    last_name: text(d.last_name),
    username: text(d.username),
    primary_email_address_id: text(d.primary_email_address_id),
    primary_email_address: text(email?.email_address),
    primary_phone_number_id: text(d.primary_phone_number_id),
    primary_phone_number: text(phone?.phone_number),
    primary_web3_wallet_id: text(d.primary_web3_wallet_id),
    primary_web3_wallet: text(wallet?.web3_wallet),
    image_url: text(d.image_url) ?? text(d.profile_image_url),
    has_image: bool(d.has_image),
    public_metadata: json(d.public_metadata),
    private_metadata: json(d.private_metadata),
    unsafe_metadata: json(d.unsafe_metadata),
    banned: bool(d.banned),
    locked: bool(d.locked),
    password_enabled: bool(d.password_enabled),
    two_factor_enabled: bool(d.two_factor_enabled),
    last_sign_in_at: int(d.last_sign_in_at),
    last_active_at: int(d.last_active_at),
    created_at: int(d.created_at),
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    payload: JSON.stringify(d),
  } satisfies RowOf<'clerk_users'>;
}

/**
 * Upserts the user and, when that write applied (the event is the newest seen and the user is not
 * deleted), replaces their email addresses, phone numbers, external accounts and wallets.
 */
export async function upsertUser(d: Payload, ctx: SyncContext): Promise<void> {
  const row = userRow(d, ctx);
  if (row.id === null) throw new PermanentError('user payload has no string `id`; cannot sync it');
  await upsertNewer(ctx.sql, 'clerk_users', row);
  await replaceUserChildren(ctx, row.id, row.updated_at, d);
}

/**
 * The `user` inside a session event refreshes the user, row and children, only when strictly
 * newer: it usually is the stored version, and rewriting it on every sign-in would be wasted I/O.
 * Where statements run at once (SQLite; PostgreSQL event by event, after a batch failed) whether
 * the upsert applied is asked directly. Where writes are deferred, the children's condition asks
 * instead whether this transaction wrote the row (`xmin`), so nothing waits for the upsert's
 * answer. That holds only outside savepoints (a row written in one carries the savepoint's id),
 * and deferred batches run none.
 */
export async function refreshUser(d: Payload, ctx: SyncContext): Promise<void> {
  const row = userRow(d, ctx);
  if (row.id === null) return;
  if (!ctx.sql.deferred) {
    if (await upsertNewerApplied(ctx.sql, 'clerk_users', row, { applyEqual: false })) await replaceUserChildren(ctx, row.id, row.updated_at, d);
    return;
  }
  await upsertNewer(ctx.sql, 'clerk_users', row, { applyEqual: false });
  await replaceUserChildren(ctx, row.id, row.updated_at, d, { writtenByThisTransaction: true });
}

/** The personal data a deletion erases; the id, external_id and deleted_at stay. */
const ERASED = [
  'first_name', 'last_name', 'username',
  'primary_email_address_id', 'primary_email_address',
  'primary_phone_number_id', 'primary_phone_number',
  'primary_web3_wallet_id', 'primary_web3_wallet',
  'image_url', 'has_image',
  'public_metadata', 'private_metadata', 'unsafe_metadata',
  'payload',
] as const;

const FINAL = SESSION_FINAL_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * Tombstones the user (terminal: later create/update events are ignored by the guard), erases
 * their personal data and child rows, and ends what hangs off them: memberships, sessions,
 * organization invitations they accepted. Outgoing emails and SMS addressed to them are deleted,
 * and the stored events about them are redacted (inbox/redact.ts).
 */
export async function deleteUser(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('user.deleted payload has no string `id`; cannot sync it');
  const { sql, eventTime } = ctx;
  await lockForDeletion(sql, 'clerk_users', id);
  await insertTombstone(sql, 'clerk_users', { id, instance_id: ctx.instanceId, external_id: text(d.external_id), deleted_at: eventTime }, {
    ...Object.fromEntries(ERASED.map((c) => [c, raw('null')])),
    external_id: raw('coalesce(excluded.external_id, clerk_users.external_id)'),
  });
  // Ended, and stripped of the copies of the user's name and email they carry.
  await sql.run(q`update clerk_organization_memberships set deleted_at = coalesce(deleted_at, ${eventTime}), payload = null where user_id = ${id}`);
  await sql.run(q`update clerk_organization_invitations set deleted_at = coalesce(deleted_at, ${eventTime}), email_address = null, payload = null where user_id = ${id}`);
  await sql.run(q`update clerk_sessions
      set status = case when status in (${raw(FINAL)}) then status else 'ended' end,
          deleted_at = coalesce(deleted_at, ${eventTime}),
          payload = null
    where user_id = ${id}`);
  await deleteUserChildren(ctx, id);
  // Their personal data lives on in the inbox too: every earlier payload of theirs.
  await redactUserEvents(sql, id);
  await sql.run(q`delete from clerk_emails where user_id = ${id}`);
  await sql.run(q`delete from clerk_sms_messages where user_id = ${id}`);
}
