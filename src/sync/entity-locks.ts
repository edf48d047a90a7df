import type { Kysely } from 'kysely';
import type { LockKey, SqlDialect } from '../store/dialect.js';
import type { ClerkEventType } from '../events/catalog.js';
import { payer } from './billing.js';
import { membershipOrganizationId, membershipUserId } from './memberships.js';
import { sessionUserId } from './sessions.js';
import { obj, organizationIdOf, text, type Payload } from './values.js';

/**
 * An entity whose rows an event's sync writes, as a lock key: the same (table, id) keys as
 * lockParent and lockForDeletion (guard.ts), so a batch holding an entity also holds those locks
 * (a transaction never waits for its own locks).
 */
export type EntityKey = LockKey;

type Family = ClerkEventType extends `${infer F}.${string}` ? F : never;

/** Ids read as the sync reads them (text(): the content policy), so the keys name the rows it writes. */
const key = (table: string, id: unknown): EntityKey[] => {
  const t = text(id);
  return t === null ? [] : [{ table, id: t }];
};
const user = (id: unknown) => key('clerk_users', id);
const organization = (id: unknown) => key('clerk_organizations', id);
const own = (table: string) => (d: Payload) => key(table, d.id);

/**
 * The entities each family of events writes under: the roots whose rows, child rows and
 * dependants it touches. Events sharing one must not be applied side by side, or their batches
 * could lock the entity's rows in opposite orders and deadlock. Events sharing none seldom write
 * the same row (a user's and an organization's deletion both end the user's membership there);
 * the worker reruns a batch that deadlocks all the same. Every family of the catalog is listed.
 */
const KEYS: Record<Family, (d: Payload) => EntityKey[]> = {
  user: (d) => user(d.id),
  // The session's row, and the user it carries, refreshed under the user's guards.
  session: (d) => user(sessionUserId(d)),
  email: (d) => user(d.user_id),
  sms: (d) => user(d.user_id),
  organization: (d) => organization(d.id),
  organizationMembership: (d) => [...organization(membershipOrganizationId(d)), ...user(membershipUserId(d))],
  organizationInvitation: (d) => [...organization(organizationIdOf(d)), ...user(d.user_id)],
  // organizationDomain.deleted carries only the domain's id.
  organizationDomain: (d) => [...organization(organizationIdOf(d)), ...own('clerk_organization_domains')(d)],
  // Roles share permission rows and the role_permissions links: one key for all of them.
  role: () => [{ table: 'clerk_roles', id: '*' }],
  permission: () => [{ table: 'clerk_roles', id: '*' }],
  invitation: own('clerk_invitations'),
  waitlistEntry: own('clerk_waitlist_entries'),
  // A subscription writes the items it lists: both sides go by their payer.
  subscription: (d) => billing(d),
  subscriptionItem: (d) => billing(d),
  paymentAttempt: own('clerk_payment_attempts'),
};

function billing(d: Payload): EntityKey[] {
  return [{ table: 'clerk_subscriptions', id: payer(d).payer_id ?? '*' }];
}

/** The entities an event writes under; none for families outside the catalog. */
export function entityKeys(type: string, data: unknown): EntityKey[] {
  const family = type.slice(0, type.indexOf('.')) as Family;
  const d = obj(data);
  return d && Object.hasOwn(KEYS, family) ? KEYS[family](d) : [];
}

const keyName = (k: EntityKey) => `${k.table}\u0000${k.id}`;

/**
 * Takes the entities of each item for this transaction with try-locks, which never wait, and
 * returns the items all of whose entities it got; another worker's batch holds the rest, which
 * stay for a later batch. One round trip; none where the dialect has one writer at a time.
 */
export async function takeEntities<T>(db: Kysely<any>, dialect: SqlDialect, items: ReadonlyArray<{ item: T; keys: readonly EntityKey[] }>): Promise<T[]> {
  const distinct = new Map<string, EntityKey>();
  for (const { keys } of items) for (const k of keys) distinct.set(keyName(k), k);
  const keys = [...distinct.values()];
  const taken = keys.length === 0 ? null : dialect.tryLocks(db, keys);
  const heldIndexes = taken ? await taken : new Set<number>();
  if (heldIndexes.size === 0) return items.map((i) => i.item);
  const held = new Set([...heldIndexes].map((n) => keyName(keys[n]!)));
  return items.filter((i) => !i.keys.some((k) => held.has(keyName(k)))).map((i) => i.item);
}
