import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { upsertNewer } from './guard.js';
import { insertTombstone } from './inserts.js';
import { lockForDeletion } from './parent-locks.js';
import { q } from '../store/sql.js';
import { bool, count, int, json, text, type Payload } from './values.js';

export async function upsertOrganization(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('organization payload has no string `id`; cannot sync it');
  await upsertNewer(ctx.sql, 'clerk_organizations', {
    id,
    instance_id: ctx.instanceId,
    name: text(d.name),
    slug: text(d.slug),
    image_url: text(d.image_url),
    has_image: bool(d.has_image),
    created_by: text(d.created_by),
    max_allowed_memberships: count(d.max_allowed_memberships),
    admin_delete_enabled: bool(d.admin_delete_enabled),
    members_count: count(d.members_count),
    public_metadata: json(d.public_metadata),
    private_metadata: json(d.private_metadata),
    created_at: int(d.created_at),
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    payload: JSON.stringify(d),
  });
}

/** Tombstones the organization and ends everything that hangs off it: memberships, invitations, domains. */
export async function deleteOrganization(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('organization.deleted payload has no string `id`; cannot sync it');
  const { sql, eventTime } = ctx;
  await lockForDeletion(sql, 'clerk_organizations', id);
  await insertTombstone(sql, 'clerk_organizations', { id, instance_id: ctx.instanceId, slug: text(d.slug), deleted_at: eventTime });
  await sql.run(q`update clerk_organization_memberships set deleted_at = ${eventTime} where organization_id = ${id} and deleted_at is null`);
  await sql.run(q`update clerk_organization_invitations set deleted_at = ${eventTime} where organization_id = ${id} and deleted_at is null`);
  await sql.run(q`update clerk_organization_domains set deleted_at = ${eventTime} where organization_id = ${id} and deleted_at is null`);
}

/** `deleted_at` of something that belongs to the organization: set when the organization is already deleted. */
export function organizationDeletedAt(organizationId: string | null) {
  return q`(select deleted_at from clerk_organizations where id = ${organizationId})`;
}
