import { sql } from 'kysely';
import type { SyncContext } from './context.js';
import { upsertNewer } from './guard.js';
import { bool, int, json, primary, text, type Payload } from './values.js';

/** Columns of clerk_users from a Clerk User object (user.* events, and the `user` inside session events). */
export function userRow(d: Payload, ctx: SyncContext) {
  const email = primary(d.email_addresses, d.primary_email_address_id);
  const phone = primary(d.phone_numbers, d.primary_phone_number_id);
  const wallet = primary(d.web3_wallets, d.primary_web3_wallet_id);
  return {
    id: text(d.id)!,
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
  };
}

export async function upsertUser(d: Payload, ctx: SyncContext): Promise<void> {
  if (text(d.id) === null) throw new Error('user payload has no string `id`; cannot sync it');
  await upsertNewer(ctx.trx, 'clerk_users', userRow(d, ctx));
}

/** The personal data a deletion erases; the id, external_id and deleted_at stay. */
const ERASED = {
  first_name: null, last_name: null, username: null,
  primary_email_address_id: null, primary_email_address: null,
  primary_phone_number_id: null, primary_phone_number: null,
  primary_web3_wallet_id: null, primary_web3_wallet: null,
  image_url: null, has_image: null,
  public_metadata: null, private_metadata: null, unsafe_metadata: null,
  payload: null,
} as const;

/**
 * Tombstones the user (terminal: later create/update events are ignored by the guard), erases
 * their personal data, and ends their memberships.
 */
export async function deleteUser(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new Error('user.deleted payload has no string `id`; cannot sync it');
  await ctx.trx
    .insertInto('clerk_users')
    .values({ id, instance_id: ctx.instanceId, external_id: text(d.external_id), deleted_at: ctx.eventTime })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        ...ERASED,
        deleted_at: sql`coalesce(clerk_users.deleted_at, excluded.deleted_at)`,
        external_id: sql`coalesce(excluded.external_id, clerk_users.external_id)`,
      }),
    )
    .execute();
  await ctx.trx
    .updateTable('clerk_organization_memberships')
    .set({ deleted_at: ctx.eventTime })
    .where('user_id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();
}
