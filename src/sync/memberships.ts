import type { RowOf } from './rows.js';
import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { upsertNewer } from './guard.js';
import { insertTombstone } from './inserts.js';
import { lockParent } from './parent-locks.js';
import { q } from '../store/sql.js';
import { int, json, obj, text, type Payload } from './values.js';

/** The membership's organization: the `organization` it carries, or `organization_id`. */
export function membershipOrganizationId(d: Payload): string | null {
  return text(obj(d.organization)?.id) ?? text(d.organization_id);
}

/** The membership's user: from its `public_user_data`, or `user_id`. */
export function membershipUserId(d: Payload): string | null {
  return text(obj(d.public_user_data)?.user_id) ?? text(d.user_id);
}

/**
 * A user has at most one active membership per organization. Leaving and re-joining creates a new
 * membership id, and the events of the two can arrive in any order, so uniqueness is kept by the
 * sync rather than left to fail: memberships of one organization and user are ordered by
 * (created_at, id), and only the newest can be active. A newer one ends the older ones when it
 * arrives (`deleted_at` = its created_at); an older one arriving later is stored already ended
 * (`deleted_at` = the created_at of the next newer one). The partial unique index on active
 * memberships (migration 002) then never sees two active rows, except when two workers insert
 * both at the same instant on PostgreSQL: one of them fails, and its retry ends the older.
 */
function membershipRow(d: Payload, ctx: SyncContext) {
  const id = text(d.id);
  const organizationId = membershipOrganizationId(d);
  if (id === null || organizationId === null) throw new PermanentError('membership payload has no string `id` or `organization.id`; cannot sync it');
  const userId = membershipUserId(d);
  const createdAt = int(d.created_at);
  const order = createdAt ?? 0;
  return {
    id,
    instance_id: ctx.instanceId,
    organization_id: organizationId,
    user_id: userId,
    role: text(d.role),
    role_name: text(d.role_name),
    permissions: json(d.permissions),
    public_metadata: json(d.public_metadata),
    private_metadata: json(d.private_metadata),
    created_at: createdAt,
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    // Arrives ended when its organization or user is already deleted, or a newer membership exists.
    deleted_at: q`coalesce(
      (select deleted_at from clerk_organizations where id = ${organizationId}),
      (select deleted_at from clerk_users where id = ${userId}),
      (select min(coalesce(m.created_at, 0)) from clerk_organization_memberships m
        where m.organization_id = ${organizationId} and m.user_id = ${userId} and m.id <> ${id}
          and (coalesce(m.created_at, 0) > ${order} or (coalesce(m.created_at, 0) = ${order} and m.id > ${id}))))`,
    payload: JSON.stringify(d),
  } satisfies RowOf<'clerk_organization_memberships'>;
}

type MembershipRow = ReturnType<typeof membershipRow>;

/** Locks the parents, then ends the active memberships of the same organization and user that are older than this one. */
async function endOlder(row: MembershipRow, ctx: SyncContext): Promise<void> {
  await lockParent(ctx.sql, 'clerk_organizations', row.organization_id);
  await lockParent(ctx.sql, 'clerk_users', row.user_id);
  if (row.user_id === null) return;
  const order = row.created_at ?? 0;
  await ctx.sql.run(q`update clerk_organization_memberships set deleted_at = ${row.created_at ?? ctx.eventTime}
    where organization_id = ${row.organization_id} and user_id = ${row.user_id} and deleted_at is null and id <> ${row.id}
      and (coalesce(created_at, 0) < ${order} or (coalesce(created_at, 0) = ${order} and id < ${row.id}))`);
}

export async function upsertMembership(d: Payload, ctx: SyncContext): Promise<void> {
  const row = membershipRow(d, ctx);
  await endOlder(row, ctx);
  await upsertNewer(ctx.sql, 'clerk_organization_memberships', row);
}

/** organizationMembership.deleted carries the full membership: keep it, ended. */
export async function deleteMembership(d: Payload, ctx: SyncContext): Promise<void> {
  const row = membershipRow(d, ctx);
  await endOlder(row, ctx);
  await insertTombstone(ctx.sql, 'clerk_organization_memberships', { ...row, deleted_at: ctx.eventTime });
}
