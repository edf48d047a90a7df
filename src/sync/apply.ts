import type { ClerkEventType } from '../events/catalog.js';
import { upsertPaymentAttempt, upsertSubscription, upsertSubscriptionItem } from './billing.js';
import type { SyncContext } from './context.js';
import { upsertInvitation, upsertWaitlistEntry } from './invitations.js';
import { deleteMembership, upsertMembership } from './memberships.js';
import { insertEmail, insertSms } from './messages.js';
import { deleteOrganizationDomain, upsertOrganizationDomain } from './organization-domains.js';
import { upsertOrganizationInvitation } from './organization-invitations.js';
import { deleteOrganization, upsertOrganization } from './organizations.js';
import { deletePermission, deleteRole, upsertPermission, upsertRole } from './roles.js';
import { upsertSession } from './sessions.js';
import { deleteUser, upsertUser } from './users.js';
import type { Payload } from './values.js';

type Syncer = (data: Payload, ctx: SyncContext) => Promise<void>;

/**
 * Which table writes each event type causes; every type of the catalog is listed. Where a payload
 * may lack its `status`, the event type supplies it (`session.revoked` is revoked).
 */
const SYNCERS: Record<ClerkEventType, Syncer> = {
  'user.created': upsertUser,
  'user.updated': upsertUser,
  'user.deleted': deleteUser,

  'organization.created': upsertOrganization,
  'organization.updated': upsertOrganization,
  'organization.deleted': deleteOrganization,
  'organizationMembership.created': upsertMembership,
  'organizationMembership.updated': upsertMembership,
  'organizationMembership.deleted': deleteMembership,
  'organizationInvitation.created': (d, ctx) => upsertOrganizationInvitation(d, ctx, 'pending'),
  'organizationInvitation.accepted': (d, ctx) => upsertOrganizationInvitation(d, ctx, 'accepted'),
  'organizationInvitation.revoked': (d, ctx) => upsertOrganizationInvitation(d, ctx, 'revoked'),
  'organizationDomain.created': upsertOrganizationDomain,
  'organizationDomain.updated': upsertOrganizationDomain,
  'organizationDomain.deleted': deleteOrganizationDomain,

  'role.created': upsertRole,
  'role.updated': upsertRole,
  'role.deleted': deleteRole,
  'permission.created': upsertPermission,
  'permission.updated': upsertPermission,
  'permission.deleted': deletePermission,

  'invitation.created': (d, ctx) => upsertInvitation(d, ctx, 'pending'),
  'invitation.accepted': (d, ctx) => upsertInvitation(d, ctx, 'accepted'),
  'invitation.revoked': (d, ctx) => upsertInvitation(d, ctx, 'revoked'),
  'waitlistEntry.created': upsertWaitlistEntry,
  'waitlistEntry.updated': upsertWaitlistEntry,

  'session.created': (d, ctx) => upsertSession(d, ctx, 'active'),
  'session.pending': (d, ctx) => upsertSession(d, ctx, 'pending'),
  'session.updated': (d, ctx) => upsertSession(d, ctx, null),
  'session.ended': (d, ctx) => upsertSession(d, ctx, 'ended'),
  'session.removed': (d, ctx) => upsertSession(d, ctx, 'removed'),
  'session.revoked': (d, ctx) => upsertSession(d, ctx, 'revoked'),

  'email.created': insertEmail,
  'sms.created': insertSms,

  'subscription.created': (d, ctx) => upsertSubscription(d, ctx, null),
  'subscription.updated': (d, ctx) => upsertSubscription(d, ctx, null),
  'subscription.active': (d, ctx) => upsertSubscription(d, ctx, 'active'),
  'subscription.pastDue': (d, ctx) => upsertSubscription(d, ctx, 'past_due'),
  'subscriptionItem.abandoned': (d, ctx) => upsertSubscriptionItem(d, ctx, 'abandoned'),
  'subscriptionItem.active': (d, ctx) => upsertSubscriptionItem(d, ctx, 'active'),
  'subscriptionItem.canceled': (d, ctx) => upsertSubscriptionItem(d, ctx, 'canceled'),
  'subscriptionItem.ended': (d, ctx) => upsertSubscriptionItem(d, ctx, 'ended'),
  'subscriptionItem.freeTrialEnding': (d, ctx) => upsertSubscriptionItem(d, ctx, null),
  'subscriptionItem.incomplete': (d, ctx) => upsertSubscriptionItem(d, ctx, 'incomplete'),
  'subscriptionItem.pastDue': (d, ctx) => upsertSubscriptionItem(d, ctx, 'past_due'),
  'subscriptionItem.upcoming': (d, ctx) => upsertSubscriptionItem(d, ctx, 'upcoming'),
  'subscriptionItem.updated': (d, ctx) => upsertSubscriptionItem(d, ctx, null),
  'paymentAttempt.created': upsertPaymentAttempt,
  'paymentAttempt.updated': upsertPaymentAttempt,
};

export function syncsTable(type: string): boolean {
  return Object.hasOwn(SYNCERS, type);
}

/** Applies one event's writes to the synced tables, inside the caller's transaction. */
export async function applyEvent(type: string, data: Payload, ctx: SyncContext): Promise<void> {
  const syncer = syncsTable(type) ? SYNCERS[type as ClerkEventType] : undefined;
  if (syncer) await syncer(data, ctx);
}
