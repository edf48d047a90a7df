import type { SyncContext } from './context.js';
import { deleteMembership, upsertMembership } from './memberships.js';
import { deleteOrganization, upsertOrganization } from './organizations.js';
import { deleteUser, upsertUser } from './users.js';
import type { Payload } from './values.js';

type Syncer = (data: Payload, ctx: SyncContext) => Promise<void>;

/** Which table writes each event type causes. Types not listed are stored and marked done. */
const SYNCERS: Record<string, Syncer> = {
  'user.created': upsertUser,
  'user.updated': upsertUser,
  'user.deleted': deleteUser,
  'organization.created': upsertOrganization,
  'organization.updated': upsertOrganization,
  'organization.deleted': deleteOrganization,
  'organizationMembership.created': upsertMembership,
  'organizationMembership.updated': upsertMembership,
  'organizationMembership.deleted': deleteMembership,
};

export function syncsTable(type: string): boolean {
  return type in SYNCERS;
}

/** Applies one event's writes to the synced tables, inside the caller's transaction. */
export async function applyEvent(type: string, data: Payload, ctx: SyncContext): Promise<void> {
  const syncer = SYNCERS[type];
  if (syncer) await syncer(data, ctx);
}
