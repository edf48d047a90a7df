import type { SyncContext } from './context.js';
import { insertRows } from './inserts.js';
import { distinctById, type Row, type SyncedTable } from './rows.js';
import { Fragment, q, raw } from '../store/sql.js';
import { bool, int, json, list, text, verification, type Payload } from './values.js';

/*
 * A user's email addresses, phone numbers, external accounts and web3 wallets, one table each,
 * replaced as a whole by the newest user payload (see upsertUser).
 */

function common(e: Payload, userId: string, ctx: SyncContext) {
  return { id: text(e.id), user_id: userId, instance_id: ctx.instanceId };
}

function times(e: Payload) {
  return { created_at: int(e.created_at), updated_at: int(e.updated_at), payload: JSON.stringify(e) };
}

function isPrimary(e: Payload, primaryId: unknown): boolean {
  return typeof e.id === 'string' && e.id === primaryId;
}

function emailAddressRows(d: Payload, userId: string, ctx: SyncContext): Row[] {
  return list(d.email_addresses).map((e) => {
    const v = verification(e.verification);
    return {
      ...common(e, userId, ctx),
      email_address: text(e.email_address),
      is_primary: isPrimary(e, d.primary_email_address_id),
      verification_status: v.status,
      verification_strategy: v.strategy,
      reserved: bool(e.reserved),
      linked_to: json(e.linked_to),
      ...times(e),
    };
  });
}

function phoneNumberRows(d: Payload, userId: string, ctx: SyncContext): Row[] {
  return list(d.phone_numbers).map((e) => {
    const v = verification(e.verification);
    return {
      ...common(e, userId, ctx),
      phone_number: text(e.phone_number),
      is_primary: isPrimary(e, d.primary_phone_number_id),
      verification_status: v.status,
      verification_strategy: v.strategy,
      reserved: bool(e.reserved),
      reserved_for_second_factor: bool(e.reserved_for_second_factor),
      default_second_factor: bool(e.default_second_factor),
      linked_to: json(e.linked_to),
      ...times(e),
    };
  });
}

function externalAccountRows(d: Payload, userId: string, ctx: SyncContext): Row[] {
  return list(d.external_accounts).map((e) => {
    const v = verification(e.verification);
    return {
      ...common(e, userId, ctx),
      provider: text(e.provider),
      provider_user_id: text(e.provider_user_id),
      identification_id: text(e.identification_id),
      email_address: text(e.email_address),
      email_address_verified: bool(e.email_address_verified),
      first_name: text(e.first_name),
      last_name: text(e.last_name),
      username: text(e.username),
      phone_number: text(e.phone_number),
      image_url: text(e.image_url) ?? text(e.avatar_url),
      label: text(e.label),
      approved_scopes: text(e.approved_scopes),
      verification_status: v.status,
      verification_strategy: v.strategy,
      public_metadata: json(e.public_metadata),
      ...times(e),
    };
  });
}

function web3WalletRows(d: Payload, userId: string, ctx: SyncContext): Row[] {
  return list(d.web3_wallets).map((e) => {
    const v = verification(e.verification);
    return {
      ...common(e, userId, ctx),
      web3_wallet: text(e.web3_wallet),
      is_primary: isPrimary(e, d.primary_web3_wallet_id),
      verification_status: v.status,
      verification_strategy: v.strategy,
      ...times(e),
    };
  });
}

const CHILDREN: ReadonlyArray<{ table: SyncedTable; rows: (d: Payload, userId: string, ctx: SyncContext) => Row[] }> = [
  { table: 'clerk_user_email_addresses', rows: emailAddressRows },
  { table: 'clerk_user_phone_numbers', rows: phoneNumberRows },
  { table: 'clerk_user_external_accounts', rows: externalAccountRows },
  { table: 'clerk_user_web3_wallets', rows: web3WalletRows },
];

/**
 * Replaces the user's child rows with those of `d`, when the user's row holds this very version
 * (`updatedAt`) and is not deleted, i.e. when the user's upsert just applied: an older or late
 * event leaves the children of the newer version alone. The condition is in each statement, so
 * nothing waits for the upsert's answer (the statements can travel in one batch).
 * `writtenByThisTransaction` (PostgreSQL only) also requires that this transaction wrote the row,
 * for upserts that do not apply an equal version.
 *
 * Call it right after the user's upsert, which holds the user's row lock whether it applied or
 * not: concurrent replacements of one user's rows then run one after the other, and these
 * statements, which start after the lock was granted, see what the previous one committed. (That
 * is why they cannot be part of the upsert statement: on PostgreSQL a statement that waited for a
 * row lock evaluates its subqueries on the snapshot it took before waiting.)
 */
export async function replaceUserChildren(ctx: SyncContext, userId: string, updatedAt: number, d: Payload, options: { writtenByThisTransaction?: boolean } = {}): Promise<void> {
  const writtenNow = raw(options.writtenByThisTransaction ? ' and xmin = pg_current_xact_id()::xid' : '');
  const current = q`exists (select 1 from clerk_users where id = ${userId} and updated_at = ${updatedAt} and deleted_at is null${writtenNow})`;
  await removeChildren(ctx, userId, current);
  // Keyed by (user_id, id): an entry without an id cannot be stored apart (the user's payload keeps it).
  for (const child of CHILDREN) await insertRows(ctx.sql, child.table, distinctById(child.rows(d, userId, ctx).filter((r) => r.id !== null)), { when: current });
}

/** Deletes the user's rows in the four tables (when `condition` holds), in as few statements as the dialect allows. */
async function removeChildren(ctx: SyncContext, userId: string, condition: Fragment): Promise<void> {
  const deletes = CHILDREN.map((c) => q`delete from ${raw(c.table)} where user_id = ${userId} and ${condition}`);
  for (const statement of ctx.sql.dialect.combineDeletes(deletes)) await ctx.sql.run(statement);
}

export async function deleteUserChildren(ctx: SyncContext, userId: string): Promise<void> {
  await removeChildren(ctx, userId, raw('true'));
}
