import type { Kysely } from 'kysely';
import { eventFixture } from '../../src/events/fixtures.js';
import type { ClerkSyncDatabase } from '../../src/store/schema.js';
import type { Rng } from './random.js';

/**
 * A small world of users, organizations and memberships whose histories (created, updated,
 * deleted) are delivered as separate events. Several event types touch the same rows (a
 * membership hangs off a user and an organization; deleting either ends it), so the final state
 * depends on which events were applied, never on their order. `expectedState` computes it from any
 * subset of the events: the ones that were stored.
 */

const T0 = 1_760_000_000_000;
const INSTANCE = 'ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S';

export interface Envelope {
  type: string;
  object: 'event';
  timestamp: number;
  instance_id: string;
  data: Record<string, any>;
}

/** One delivery: an event under its svix-id. */
export interface Delivery {
  id: string;
  event: Envelope;
  body: string;
}

export function generateWorld(rng: Rng, sizes = { users: 60, organizations: 15, memberships: 90 }): Envelope[] {
  const events: Envelope[] = [];
  const emit = (type: string, timestamp: number, data: Record<string, any>) => events.push({ type, object: 'event', timestamp, instance_id: INSTANCE, data });
  const step = () => rng.between(1, 60_000);
  const history = (createdAt: number, max: number) => {
    const times = [createdAt];
    for (let n = rng.between(1, max); times.length < n; ) times.push(times.at(-1)! + step());
    return times;
  };

  const users: Array<{ id: string; createdAt: number }> = [];
  for (let i = 0; i < sizes.users; i++) {
    const template = eventFixture('user.updated').data as Record<string, any>;
    const createdAt = T0 + rng.int(3_600_000);
    const id = rng.id('user');
    users.push({ id, createdAt });
    const times = history(createdAt, 4);
    times.forEach((t, v) => emit(v === 0 ? 'user.created' : 'user.updated', t, { ...template, id, first_name: `User${i}v${v}`, created_at: createdAt, updated_at: t }));
    if (rng.chance(0.25)) emit('user.deleted', times.at(-1)! + step(), { object: 'user', id, deleted: true });
  }

  const orgs: Array<{ id: string; createdAt: number }> = [];
  for (let i = 0; i < sizes.organizations; i++) {
    const template = eventFixture('organization.updated').data as Record<string, any>;
    const createdAt = T0 + rng.int(3_600_000);
    const id = rng.id('org');
    const slug = `fault-org-${i}-${id.slice(-6).toLowerCase()}`;
    orgs.push({ id, createdAt });
    const times = history(createdAt, 3);
    times.forEach((t, v) => emit(v === 0 ? 'organization.created' : 'organization.updated', t, { ...template, id, slug, name: `Org${i}v${v}`, created_at: createdAt, updated_at: t }));
    if (rng.chance(0.2)) emit('organization.deleted', times.at(-1)! + step(), { object: 'organization', id, slug, deleted: true });
  }

  const pairs = new Set<string>();
  for (let made = 0; made < sizes.memberships; ) {
    const org = rng.pick(orgs);
    const user = rng.pick(users);
    if (pairs.has(`${org.id}/${user.id}`)) continue;
    pairs.add(`${org.id}/${user.id}`);
    made++;
    const template = eventFixture('organizationMembership.updated').data as Record<string, any>;
    const id = rng.id('orgmem');
    const createdAt = Math.max(org.createdAt, user.createdAt) + step();
    const data = (role: string, t: number) => ({
      ...template,
      id,
      role,
      organization: { ...template.organization, id: org.id },
      public_user_data: { ...template.public_user_data, user_id: user.id },
      created_at: createdAt,
      updated_at: t,
    });
    const times = history(createdAt, 3);
    const roles = times.map(() => rng.pick(['org:member', 'org:admin', 'org:billing']));
    times.forEach((t, v) => emit(v === 0 ? 'organizationMembership.created' : 'organizationMembership.updated', t, data(roles[v]!, t)));
    if (rng.chance(0.3)) emit('organizationMembership.deleted', times.at(-1)! + step(), data(roles.at(-1)!, times.at(-1)!));
  }
  return events;
}

export interface ExpectedState {
  users: Map<string, { deleted_at: number | null; first_name: string | null }>;
  organizations: Map<string, { deleted_at: number | null; name: string | null }>;
  /** Ended memberships only say so; live ones carry their newest role. */
  memberships: Map<string, { ended: boolean; role: string | null }>;
}

/** The state the clerk_* tables must be in once exactly these events were applied (in any order). */
export function expectedState(applied: Iterable<Envelope>): ExpectedState {
  const newest = new Map<string, Envelope>();
  const deleted = new Map<string, number>();
  const memberships = new Map<string, { userId: string; orgId: string }>();
  for (const e of applied) {
    const id: string = e.data.id;
    if (e.type.endsWith('.deleted')) deleted.set(id, e.timestamp);
    else {
      const cur = newest.get(id);
      if (!cur || e.data.updated_at > cur.data.updated_at) newest.set(id, e);
    }
    if (e.type.startsWith('organizationMembership.')) memberships.set(id, { userId: e.data.public_user_data.user_id, orgId: e.data.organization.id });
  }
  const state: ExpectedState = { users: new Map(), organizations: new Map(), memberships: new Map() };
  for (const id of new Set([...newest.keys(), ...deleted.keys()])) {
    const gone = deleted.get(id) ?? null;
    const latest = newest.get(id)?.data;
    if (id.startsWith('user_')) state.users.set(id, { deleted_at: gone, first_name: gone === null ? latest!.first_name : null });
    else if (id.startsWith('org_')) state.organizations.set(id, gone === null ? { deleted_at: null, name: latest!.name } : { deleted_at: gone, name: null });
  }
  for (const [id, { userId, orgId }] of memberships) {
    const ended = deleted.has(id) || deleted.has(userId) || deleted.has(orgId);
    state.memberships.set(id, { ended, role: ended ? null : newest.get(id)!.data.role });
  }
  return state;
}

/** The tables as they are, in the shape of ExpectedState. */
export async function actualState(db: Kysely<ClerkSyncDatabase>): Promise<ExpectedState> {
  const users = await db.selectFrom('clerk_users').select(['id', 'deleted_at', 'first_name']).execute();
  const orgs = await db.selectFrom('clerk_organizations').select(['id', 'deleted_at', 'name']).execute();
  const members = await db.selectFrom('clerk_organization_memberships').select(['id', 'deleted_at', 'role']).execute();
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    users: new Map(users.map((u) => [u.id, { deleted_at: num(u.deleted_at), first_name: u.first_name }])),
    organizations: new Map(orgs.map((o) => [o.id, o.deleted_at === null ? { deleted_at: null, name: o.name } : { deleted_at: num(o.deleted_at), name: null }])),
    memberships: new Map(members.map((m) => [m.id, { ended: m.deleted_at !== null, role: m.deleted_at === null ? m.role : null }])),
  };
}
