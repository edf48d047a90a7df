import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { upsertNewer } from './guard.js';
import { insertTombstone } from './inserts.js';
import { lockParent } from './parent-locks.js';
import { organizationDeletedAt } from './organizations.js';
import { count, int, organizationIdOf, text, verification, type Payload } from './values.js';

/** organizationDomain.created/updated; a domain of a deleted organization is stored ended. */
export async function upsertOrganizationDomain(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('organization domain payload has no string `id`; cannot sync it');
  const organizationId = organizationIdOf(d);
  // `verification` is the deprecated alias of `affiliation_verification`.
  const affiliation = verification(d.affiliation_verification ?? d.verification);
  const ownership = verification(d.ownership_verification);
  await lockParent(ctx.sql, 'clerk_organizations', organizationId);
  await upsertNewer(ctx.sql, 'clerk_organization_domains', {
    id,
    instance_id: ctx.instanceId,
    organization_id: organizationId,
    name: text(d.name),
    enrollment_mode: text(d.enrollment_mode),
    affiliation_email_address: text(d.affiliation_email_address),
    verification_status: affiliation.status,
    verification_strategy: affiliation.strategy,
    ownership_verification_status: ownership.status,
    ownership_verification_strategy: ownership.strategy,
    total_pending_invitations: count(d.total_pending_invitations),
    total_pending_suggestions: count(d.total_pending_suggestions),
    created_at: int(d.created_at),
    updated_at: int(d.updated_at) ?? ctx.eventTime,
    deleted_at: organizationDeletedAt(organizationId),
    payload: JSON.stringify(d),
  });
}

export async function deleteOrganizationDomain(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('organizationDomain.deleted payload has no string `id`; cannot sync it');
  await insertTombstone(ctx.sql, 'clerk_organization_domains', { id, instance_id: ctx.instanceId, deleted_at: ctx.eventTime });
}
