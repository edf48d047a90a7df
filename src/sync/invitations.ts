import { PermanentError } from '../processing.js';
import type { SyncContext } from './context.js';
import { staysFinal, upsertNewer } from './guard.js';
import { INVITATION_FINAL_STATUSES } from './statuses.js';
import { bool, int, json, obj, text, type Payload } from './values.js';

const guardFor = staysFinal('clerk_invitations', INVITATION_FINAL_STATUSES);

/** invitation.* (application invitations). Newer wins; accepted, revoked or expired is final. */
export async function upsertInvitation(d: Payload, ctx: SyncContext, statusOfType: string): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('invitation payload has no string `id`; cannot sync it');
  const status = text(d.status) ?? statusOfType;
  await upsertNewer(
    ctx.sql,
    'clerk_invitations',
    {
      id,
      instance_id: ctx.instanceId,
      email_address: text(d.email_address),
      status,
      revoked: bool(d.revoked),
      url: text(d.url),
      public_metadata: json(d.public_metadata),
      expires_at: int(d.expires_at),
      created_at: int(d.created_at),
      updated_at: int(d.updated_at) ?? ctx.eventTime,
      payload: JSON.stringify(d),
    },
    { tombstone: false, guard: guardFor(status) },
  );
}

/** waitlistEntry.created/updated. Newer wins. */
export async function upsertWaitlistEntry(d: Payload, ctx: SyncContext): Promise<void> {
  const id = text(d.id);
  if (id === null) throw new PermanentError('waitlist entry payload has no string `id`; cannot sync it');
  await upsertNewer(
    ctx.sql,
    'clerk_waitlist_entries',
    {
      id,
      instance_id: ctx.instanceId,
      email_address: text(d.email_address),
      status: text(d.status),
      is_locked: bool(d.is_locked),
      invitation_id: text(obj(d.invitation)?.id),
      created_at: int(d.created_at),
      updated_at: int(d.updated_at) ?? ctx.eventTime,
      payload: JSON.stringify(d),
    },
    { tombstone: false },
  );
}
