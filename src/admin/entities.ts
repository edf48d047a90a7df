import { sql } from 'kysely';
import { BrowseInputError, MAX_PAGE_SIZE } from '../inbox/browse.js';
import { BOOLEAN_COLUMNS } from '../store/boolean-columns.js';
import type { Database } from '../store/database.js';
import type { ClerkSyncDatabase } from '../store/schema.js';
import type { RelatedRow } from './wire.js';

/** The synced tables the dashboard browses, by the name used in URLs. */
export const ENTITY_KINDS = {
  users: { table: 'clerk_users', search: ['primary_email_address', 'username', 'first_name', 'last_name', 'external_id'] },
  organizations: { table: 'clerk_organizations', search: ['name', 'slug'] },
  memberships: { table: 'clerk_organization_memberships', search: ['organization_id', 'user_id', 'role'] },
} as const satisfies Record<string, { table: keyof ClerkSyncDatabase; search: readonly string[] }>;

export type EntityKind = keyof typeof ENTITY_KINDS;

/** What a Clerk id looks like: a short prefix, an underscore, base62. */
const CLERK_ID = /^[a-z]{2,10}_[A-Za-z0-9]{8,}$/;

export function isEntityKind(kind: string): kind is EntityKind {
  return Object.hasOwn(ENTITY_KINDS, kind);
}

export interface EntityPage {
  rows: Record<string, unknown>[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * One page of a synced table, newest id first (Clerk ids grow with time), keyset-paginated on the
 * primary key. `search` matches the id exactly or the listed text columns case-insensitively.
 */
export async function listEntities(database: Database, kind: EntityKind, options: { search?: string; limit?: number; cursor?: string | null } = {}): Promise<EntityPage> {
  const { table, search: columns } = ENTITY_KINDS[kind];
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new BrowseInputError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${options.limit}`);
  const term = options.search?.trim();
  // A Clerk id (`user_2x…`) is an index lookup; only when no row has it does the substring scan run.
  if (term && CLERK_ID.test(term) && !options.cursor) {
    const exact: Record<string, unknown>[] = await (database.db as any).selectFrom(table).selectAll().where('id', '=', term).execute();
    if (exact.length > 0) return { rows: exact.map(plain), nextCursor: null };
  }
  let q = (database.db as any).selectFrom(table).selectAll();
  if (options.cursor) q = q.where('id', '<', options.cursor);
  if (term) {
    const like = `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb: any) => eb.or([eb('id', '=', term), ...columns.map((c) => sql<boolean>`lower(${sql.ref(c)}) like ${like} escape '\\'`)]));
  }
  const rows: Record<string, unknown>[] = await q.orderBy('id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit).map(plain);
  return { rows: page, nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null };
}

/** Every synced table keyed by a Clerk id (so an event's entity_id finds its current row). */
const ID_TABLES: readonly (keyof ClerkSyncDatabase)[] = [
  'clerk_users', 'clerk_organizations', 'clerk_organization_memberships', 'clerk_organization_invitations', 'clerk_organization_domains',
  'clerk_roles', 'clerk_permissions', 'clerk_invitations', 'clerk_waitlist_entries', 'clerk_sessions', 'clerk_emails', 'clerk_sms_messages',
  'clerk_subscriptions', 'clerk_subscription_items', 'clerk_payment_attempts',
];

/** The current row of every synced table whose id is `entityId` (primary-key reads only). */
export async function relatedRows(database: Database, entityId: string | null): Promise<RelatedRow[]> {
  if (!entityId) return [];
  const found = await Promise.all(
    ID_TABLES.map(async (table) => {
      try {
        const row = await (database.db as any).selectFrom(table).selectAll().where('id', '=', entityId).executeTakeFirst();
        return row ? { table, row: plain(row) } : null;
      } catch {
        return null; // a table an older schema does not have
      }
    }),
  );
  return found.filter((f): f is { table: keyof ClerkSyncDatabase; row: Record<string, unknown> } => f !== null);
}

/** JSON text columns parsed and booleans as booleans (SQLite stores text and 0/1), so both dialects answer the same. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'string' && (k === 'payload' || k.endsWith('_metadata') || k === 'permissions') && /^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {}
    }
    if (typeof v === 'number' && BOOLEAN_COLUMNS.has(k) && (v === 0 || v === 1)) out[k] = v === 1;
    else out[k] = typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}
