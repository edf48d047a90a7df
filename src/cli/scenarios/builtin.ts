import type { Scenario } from './scenario.js';

/**
 * Scenarios shipped with clerk-sync. Steps come from Clerk's example payloads, whose ids already
 * refer to each other (the membership's organization is the organization created before it), so
 * one id map per run keeps the whole sequence consistent.
 */
export const BUILTIN_SCENARIOS: readonly Scenario[] = [
  {
    name: 'signup',
    description: 'a user signs up: user.created, the verification email, the first session',
    steps: [{ type: 'user.created' }, { type: 'email.created' }, { type: 'session.created' }],
  },
  {
    name: 'user-lifecycle',
    description: 'a user is created, updated twice, then deleted',
    steps: [
      { type: 'user.created', set: { 'data.first_name': 'Ada' } },
      { type: 'user.updated', set: { 'data.first_name': 'Ada', 'data.last_name': 'Lovelace' } },
      { type: 'user.updated', set: { 'data.first_name': 'Augusta Ada', 'data.public_metadata': { plan: 'pro' } } },
      { type: 'user.deleted' },
    ],
  },
  {
    name: 'org-lifecycle',
    description: 'an organization is created, invites a member who accepts and joins, is promoted, leaves; the organization is deleted',
    steps: [
      { type: 'organization.created' },
      { type: 'organizationInvitation.created' },
      { type: 'organizationInvitation.accepted' },
      { type: 'organizationMembership.created' },
      { type: 'organizationMembership.updated', set: { 'data.role': 'org:admin', 'data.role_name': 'Admin' } },
      { type: 'organizationMembership.deleted', set: { 'data.role': 'org:admin', 'data.role_name': 'Admin' } },
      { type: 'organization.deleted' },
    ],
  },
  {
    name: 'org-rejoin',
    description: 'a member leaves an organization and joins again: a new membership id for the same user (one active membership)',
    steps: [
      { type: 'organization.created' },
      { type: 'organizationMembership.created' },
      { type: 'organizationMembership.deleted' },
      { type: 'organizationMembership.created', set: { 'data.id': '{{orgmem:rejoined}}' } },
    ],
  },
  {
    name: 'session-lifecycle',
    description: 'a user signs in, the session is refreshed, then revoked',
    steps: [{ type: 'user.created' }, { type: 'session.created' }, { type: 'session.updated' }, { type: 'session.revoked' }],
  },
  {
    name: 'waitlist',
    description: 'someone joins the waitlist, is invited, accepts the invitation',
    steps: [
      { type: 'waitlistEntry.created' },
      { type: 'invitation.created' },
      { type: 'waitlistEntry.updated' },
      { type: 'invitation.accepted' },
    ],
  },
];
