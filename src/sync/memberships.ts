import { sql } from 'kysely';
import type { SyncContext } from './context.js';
import { upsertNewer } from './guard.js';
import { int, json, obj, text, type Payload } from './values.js';

function membershipRow(d: Payload, ctx: SyncContext) {
  const id = text(d.id);
  const organizationId = text(obj(d.organization)?.id) ?? text(d.organization_id);
  if (id === null || organizationId === null) throw new Error('membership payload has no string `id` or `organization.id`; cannot sync it');
  const userId = text(obj(d.public_user_data)?.user_id) ?? text(d.user_id);
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
    created_at: int(d.created_at),
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    // A membership of an organization or user already deleted arrives ended, never active.
    deleted_at: sql<number | null>`coalesce(
      (select deleted_at from clerk_organizations where id = ${organizationId}),
      (select deleted_at from clerk_users where id = ${userId}))`,
    payload: JSON.stringify(d),
  };
}

export async function upsertMembership(d: Payload, ctx: SyncContext): Promise<void> {
  await upsertNewer(ctx.trx, 'clerk_organization_memberships', membershipRow(d, ctx));
}

/** organizationMembership.deleted carries the full membership: keep it, ended. */
export async function deleteMembership(d: Payload, ctx: SyncContext): Promise<void> {
  const row = membershipRow(d, ctx);
  await ctx.trx
    .insertInto('clerk_organization_memberships')
    .values({ ...row, deleted_at: ctx.eventTime })
    .onConflict((oc) => oc.column('id').doUpdateSet({ deleted_at: sql`coalesce(clerk_organization_memberships.deleted_at, excluded.deleted_at)` }))
    .execute();
}
