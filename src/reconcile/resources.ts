import type { SyncContext } from '../sync/context.js';
import { applyEvent } from '../sync/apply.js';
import { markGone } from '../sync/gone.js';
import type { Payload } from '../sync/values.js';

/** What reconcile can list from Clerk's Backend API; the names are the API's own. */
export const RECONCILE_RESOURCES = [
  'users',
  'organizations',
  'organization_memberships',
  'organization_permissions',
  'organization_roles',
  'organization_domains',
  'organization_invitations',
  'invitations',
  'waitlist_entries',
  'subscription_items',
] as const;
export type ReconcileResource = (typeof RECONCILE_RESOURCES)[number];

/** A stored row, as the sweep reads it. */
export type StoredRow = Record<string, unknown>;

export interface ResourceSpec {
  name: ReconcileResource;
  /** For people: progress bars, summaries, --only (which also takes `name` and `aliases`). */
  label: string;
  aliases: readonly string[];
  /** List endpoints, with the query they always need: most resources have one; the listings of one resource are listed in turn. */
  paths: readonly string[];
  /** Whether the endpoint takes order_by (oldest first keeps a listing stable while objects are created). */
  ordered: boolean;
  /**
   * Whether the endpoint takes a `starting_after` cursor (/users): Clerk says to walk more than a
   * few pages of users that way, since a large offset gets slower and eventually times out.
   */
  cursor?: boolean;
  table: 'clerk_users' | 'clerk_organizations' | 'clerk_organization_memberships' | 'clerk_permissions' | 'clerk_roles' | 'clerk_organization_domains' | 'clerk_organization_invitations' | 'clerk_invitations' | 'clerk_waitlist_entries' | 'clerk_subscription_items';
  /** The event an object listed is applied as: the newest `*.updated` would carry the same object. */
  upsertType: string;
  /** What a deletion of a stored row does: the `*.deleted` event Clerk would have sent, or marking it gone where Clerk has none. */
  remove(row: StoredRow, ctx: SyncContext): Promise<void>;
}

/** The stored payload (JSON text on SQLite, parsed jsonb on PostgreSQL), or null. */
function storedPayload(row: StoredRow): Payload | null {
  const p = row.payload;
  if (p && typeof p === 'object') return p as Payload;
  if (typeof p !== 'string') return null;
  try {
    const parsed = JSON.parse(p) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Payload) : null;
  } catch {
    return null;
  }
}

const deleted = (type: string, object: string) => (row: StoredRow, ctx: SyncContext) =>
  applyEvent(type, { id: row.id, object, deleted: true, ...(row.slug ? { slug: row.slug } : {}), ...(row.external_id ? { external_id: row.external_id } : {}) } as Payload, ctx);

export const RESOURCES: Record<ReconcileResource, ResourceSpec> = {
  users: { name: 'users', label: 'users', aliases: [], paths: ['/users'], ordered: true, cursor: true, table: 'clerk_users', upsertType: 'user.updated', remove: deleted('user.deleted', 'user') },
  organizations: { name: 'organizations', label: 'organizations', aliases: [], paths: ['/organizations'], ordered: true, table: 'clerk_organizations', upsertType: 'organization.updated', remove: deleted('organization.deleted', 'organization') },
  organization_memberships: {
    name: 'organization_memberships', label: 'memberships', aliases: ['memberships'], paths: ['/organization_memberships'], ordered: true, table: 'clerk_organization_memberships', upsertType: 'organizationMembership.updated',
    // organizationMembership.deleted carries the whole membership: the stored one, or its columns.
    remove: (row, ctx) => {
      const stored = storedPayload(row);
      return applyEvent('organizationMembership.deleted', {
        ...stored,
        id: row.id,
        organization: { ...(stored?.organization as object | undefined), id: row.organization_id },
        public_user_data: { ...(stored?.public_user_data as object | undefined), user_id: row.user_id },
        created_at: row.created_at,
      } as Payload, ctx);
    },
  },
  organization_permissions: { name: 'organization_permissions', label: 'permissions', aliases: ['permissions'], paths: ['/organization_permissions'], ordered: true, table: 'clerk_permissions', upsertType: 'permission.updated', remove: deleted('permission.deleted', 'permission') },
  organization_roles: { name: 'organization_roles', label: 'roles', aliases: ['roles'], paths: ['/organization_roles'], ordered: true, table: 'clerk_roles', upsertType: 'role.updated', remove: deleted('role.deleted', 'role') },
  organization_domains: { name: 'organization_domains', label: 'domains', aliases: ['domains'], paths: ['/organization_domains'], ordered: true, table: 'clerk_organization_domains', upsertType: 'organizationDomain.updated', remove: deleted('organizationDomain.deleted', 'organization_domain') },
  organization_invitations: { name: 'organization_invitations', label: 'organization invitations', aliases: [], paths: ['/organization_invitations'], ordered: true, table: 'clerk_organization_invitations', upsertType: 'organizationInvitation.created', remove: (row, ctx) => markGone('clerk_organization_invitations', String(row.id), ctx) },
  // Without paginated=true, /invitations answers a bare array with no total. It lists "all
  // non-revoked invitations": the revoked ones are a listing of their own.
  invitations: { name: 'invitations', label: 'invitations', aliases: [], paths: ['/invitations?paginated=true', '/invitations?paginated=true&status=revoked'], ordered: true, table: 'clerk_invitations', upsertType: 'invitation.created', remove: (row, ctx) => markGone('clerk_invitations', String(row.id), ctx) },
  waitlist_entries: { name: 'waitlist_entries', label: 'waitlist entries', aliases: ['waitlist'], paths: ['/waitlist_entries'], ordered: true, table: 'clerk_waitlist_entries', upsertType: 'waitlistEntry.updated', remove: (row, ctx) => markGone('clerk_waitlist_entries', String(row.id), ctx) },
  // Free-plan items are left out unless asked for; the endpoint takes no order_by.
  subscription_items: { name: 'subscription_items', label: 'subscription items', aliases: [], paths: ['/billing/subscription_items?include_free=true'], ordered: false, table: 'clerk_subscription_items', upsertType: 'subscriptionItem.updated', remove: (row, ctx) => markGone('clerk_subscription_items', String(row.id), ctx) },
};

/** A resource by its name, label or alias (`memberships`, `organization-memberships`...); undefined if none. */
export function resourceNamed(name: string): ReconcileResource | undefined {
  const n = name.trim().toLowerCase().replace(/-/g, '_');
  return RECONCILE_RESOURCES.find((r) => r === n || RESOURCES[r].label.replace(/ /g, '_') === n || RESOURCES[r].aliases.includes(n));
}
