import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { keepFirst, keepKnown, staysFinal, upsertNewer } from './guard.js';
import { lockParent } from './parent-locks.js';
import { q } from '../store/sql.js';
import { INVITATION_FINAL_STATUSES } from './statuses.js';
import { int, json, organizationIdOf, text, type Payload } from './values.js';

const guardFor = staysFinal('clerk_organization_invitations', INVITATION_FINAL_STATUSES);
const SET = { user_id: keepKnown('clerk_organization_invitations', 'user_id'), deleted_at: keepFirst('clerk_organization_invitations', 'deleted_at') };

/**
 * organizationInvitation.* events. Newer wins by `updated_at`; an accepted, revoked or expired
 * invitation never goes back to pending. `user_id` (the user who accepted) is kept once known.
 * An invitation of a deleted organization, or accepted by a deleted user, is stored ended
 * (`deleted_at`). That is never the invitation's own deletion (Clerk has no such event), so, as
 * for sessions, there is no tombstone guard: a newer event still applies, and the final status
 * is the same whatever the delivery order (an `accepted` arriving after `organization.deleted`).
 */
export async function upsertOrganizationInvitation(d: Payload, ctx: SyncContext, statusOfType: string): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('organization invitation payload has no string `id`; cannot sync it');
  const organizationId = organizationIdOf(d);
  const userId = text(d.user_id);
  const status = text(d.status) ?? statusOfType;
  await lockParent(ctx.sql, 'clerk_organizations', organizationId);
  await lockParent(ctx.sql, 'clerk_users', userId);
  await upsertNewer(
    ctx.sql,
    'clerk_organization_invitations',
    {
      id,
      instance_id: ctx.instanceId,
      organization_id: organizationId,
      email_address: text(d.email_address),
      role: text(d.role),
      role_name: text(d.role_name),
      status,
      user_id: userId,
      inviter_id: text(d.inviter_id),
      url: text(d.url),
      public_metadata: json(d.public_metadata),
      private_metadata: json(d.private_metadata),
      expires_at: int(d.expires_at),
      created_at: int(d.created_at),
      updated_at: int(d.updated_at) ?? ctx.eventTime,
      deleted_at: q`coalesce(
        (select deleted_at from clerk_organizations where id = ${organizationId}),
        (select deleted_at from clerk_users where id = ${userId}))`,
      payload: JSON.stringify(d),
    },
    {
      tombstone: false,
      guard: guardFor(status),
      set: SET,
    },
  );
}
