import type {
  DeletedOrganization,
  DeletedOrganizationDomain,
  DeletedPermission,
  DeletedRole,
  DeletedUser,
  Email,
  Invitation,
  Organization,
  OrganizationDomain,
  OrganizationInvitation,
  OrganizationInvitationAccepted,
  OrganizationMembership,
  PaymentAttempt,
  Permission,
  Role,
  SessionWithUser,
  SMS,
  Subscription,
  SubscriptionItem,
  User,
  WaitlistEntry,
} from './generated/types.js';

/** Every event type Clerk documents: the 45 of its webhooks OpenAPI spec plus 4 its webhook guide lists beyond it. */
export const EVENT_TYPES = [
  'email.created',
  'invitation.created',
  'invitation.accepted',
  'invitation.revoked',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organizationDomain.created',
  'organizationDomain.updated',
  'organizationDomain.deleted',
  'organizationInvitation.created',
  'organizationInvitation.accepted',
  'organizationInvitation.revoked',
  'organizationMembership.created',
  'organizationMembership.updated',
  'organizationMembership.deleted',
  'paymentAttempt.created',
  'paymentAttempt.updated',
  'permission.created',
  'permission.updated',
  'permission.deleted',
  'role.created',
  'role.updated',
  'role.deleted',
  'session.created',
  'session.pending',
  'session.updated',
  'session.ended',
  'session.removed',
  'session.revoked',
  'sms.created',
  'subscription.created',
  'subscription.updated',
  'subscription.active',
  'subscription.pastDue',
  'subscriptionItem.abandoned',
  'subscriptionItem.active',
  'subscriptionItem.canceled',
  'subscriptionItem.ended',
  'subscriptionItem.freeTrialEnding',
  'subscriptionItem.incomplete',
  'subscriptionItem.pastDue',
  'subscriptionItem.upcoming',
  'subscriptionItem.updated',
  'user.created',
  'user.updated',
  'user.deleted',
  'waitlistEntry.created',
  'waitlistEntry.updated',
] as const;

export type ClerkEventType = (typeof EVENT_TYPES)[number];

export interface ClerkEventDataMap {
  'email.created': Email;
  'invitation.created': Invitation;
  'invitation.accepted': Invitation;
  'invitation.revoked': Invitation;
  'organization.created': Organization;
  'organization.updated': Organization;
  'organization.deleted': DeletedOrganization;
  'organizationDomain.created': OrganizationDomain;
  'organizationDomain.updated': OrganizationDomain;
  'organizationDomain.deleted': DeletedOrganizationDomain;
  'organizationInvitation.created': OrganizationInvitation;
  'organizationInvitation.accepted': OrganizationInvitationAccepted;
  'organizationInvitation.revoked': OrganizationInvitation;
  'organizationMembership.created': OrganizationMembership;
  'organizationMembership.updated': OrganizationMembership;
  /** The full membership, unlike the other `*.deleted` events. */
  'organizationMembership.deleted': OrganizationMembership;
  'paymentAttempt.created': PaymentAttempt;
  'paymentAttempt.updated': PaymentAttempt;
  'permission.created': Permission;
  'permission.updated': Permission;
  'permission.deleted': DeletedPermission;
  'role.created': Role;
  'role.updated': Role;
  'role.deleted': DeletedRole;
  'session.created': SessionWithUser;
  'session.pending': SessionWithUser;
  'session.updated': SessionWithUser;
  'session.ended': SessionWithUser;
  'session.removed': SessionWithUser;
  'session.revoked': SessionWithUser;
  'sms.created': SMS;
  'subscription.created': Subscription;
  'subscription.updated': Subscription;
  'subscription.active': Subscription;
  'subscription.pastDue': Subscription;
  'subscriptionItem.abandoned': SubscriptionItem;
  'subscriptionItem.active': SubscriptionItem;
  'subscriptionItem.canceled': SubscriptionItem;
  'subscriptionItem.ended': SubscriptionItem;
  'subscriptionItem.freeTrialEnding': SubscriptionItem;
  'subscriptionItem.incomplete': SubscriptionItem;
  'subscriptionItem.pastDue': SubscriptionItem;
  'subscriptionItem.upcoming': SubscriptionItem;
  'subscriptionItem.updated': SubscriptionItem;
  'user.created': User;
  'user.updated': User;
  'user.deleted': DeletedUser;
  'waitlistEntry.created': WaitlistEntry;
  'waitlistEntry.updated': WaitlistEntry;
}

export interface EventAttributes {
  http_request?: { client_ip?: string; user_agent?: string };
}

export interface ClerkWebhookEnvelope<T extends string, D> {
  type: T;
  data: D;
  object: 'event';
  /** Unix milliseconds. */
  timestamp: number;
  /** Missing from older live payloads. */
  instance_id?: string;
  event_attributes?: EventAttributes;
}

/** A known Clerk event: check `type` to narrow `data`. */
export type ClerkWebhookEvent = { [K in ClerkEventType]: ClerkWebhookEnvelope<K, ClerkEventDataMap[K]> }[ClerkEventType];

export type ClerkEventOf<T extends ClerkEventType> = ClerkWebhookEnvelope<T, ClerkEventDataMap[T]>;

/** An event whose type is not in the catalog (Clerk adds event types over time). */
export interface UnknownClerkEvent {
  type: string;
  data: Record<string, unknown>;
  object?: string;
  timestamp?: number;
  instance_id?: string;
  event_attributes?: EventAttributes;
  [key: string]: unknown;
}

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isKnownEventType(type: string): type is ClerkEventType {
  return KNOWN.has(type);
}
