import { sql } from 'kysely';
import type { SyncContext } from './context.js';
import { upsertNewer } from './guard.js';
import { bool, int, json, text, type Payload } from './values.js';

export async function upsertOrganization(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new Error('organization payload has no string `id`; cannot sync it');
  await upsertNewer(ctx.trx, 'clerk_organizations', {
    id,
    instance_id: ctx.instanceId,
    name: text(d.name),
    slug: text(d.slug),
    image_url: text(d.image_url),
    has_image: bool(d.has_image),
    created_by: text(d.created_by),
    max_allowed_memberships: int(d.max_allowed_memberships),
    admin_delete_enabled: bool(d.admin_delete_enabled),
    members_count: int(d.members_count),
    public_metadata: json(d.public_metadata),
    private_metadata: json(d.private_metadata),
    created_at: int(d.created_at),
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    payload: JSON.stringify(d),
  });
}

/** Tombstones the organization and ends everything that hangs off it. */
export async function deleteOrganization(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new Error('organization.deleted payload has no string `id`; cannot sync it');
  await ctx.trx
    .insertInto('clerk_organizations')
    .values({ id, instance_id: ctx.instanceId, slug: text(d.slug), deleted_at: ctx.eventTime })
    .onConflict((oc) => oc.column('id').doUpdateSet({ deleted_at: sql`coalesce(clerk_organizations.deleted_at, excluded.deleted_at)` }))
    .execute();
  await ctx.trx
    .updateTable('clerk_organization_memberships')
    .set({ deleted_at: ctx.eventTime })
    .where('organization_id', '=', id)
    .where('deleted_at', 'is', null)
    .execute();
}
