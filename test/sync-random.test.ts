/**
 * Randomized convergence: histories of many users, organizations, memberships, organization
 * invitations and sessions are delivered shuffled, with duplicates (same svix-id again) and
 * replays (same payload, new svix-id), through the real HTTP receiver. The tables must end in the
 * state computed here from the histories alone, whatever the order.
 *
 * Reproduce a failure with the seed printed in the suite name: CLERK_SYNC_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { freshDatabaseWithQuickDeadlocks, testTargets } from './support/db.js';
import { asBool, waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';
import { Rng } from './support/random.js';

const SEED = process.env.CLERK_SYNC_SEED ? Number(process.env.CLERK_SYNC_SEED) : process.env.CI ? 20_250_415 : randomInt(2 ** 31);

const SIZES = { users: 200, organizations: 40, memberships: 250, invitations: 100, sessions: 250 };
const SEND_CONCURRENCY = 8;

// ---- histories

const T0 = 1_750_000_000_000;
const INSTANCE = 'ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S';

interface Envelope {
  type: string;
  object: 'event';
  timestamp: number;
  instance_id: string;
  data: Record<string, unknown>;
}

interface UserVersion {
  updatedAt: number;
  firstName: string;
  banned: boolean;
  emails: Array<{ id: string; address: string }>;
  primaryEmailId: string;
  phones: Array<{ id: string; number: string }>;
}
interface User { id: string; createdAt: number; versions: UserVersion[]; deletedAt: number | null }
interface Org { id: string; createdAt: number; names: Array<{ updatedAt: number; name: string }>; deletedAt: number | null }
interface Membership { id: string; org: Org; user: User; createdAt: number; roles: Array<{ updatedAt: number; role: string }>; deletedAt: number | null }
interface Invitation { id: string; org: Org; createdAt: number; steps: Array<{ updatedAt: number; status: 'pending' | 'accepted' | 'revoked'; role: string; userId: string | null }> }
interface Session { id: string; user: User; steps: Array<{ at: number; status: string; lastActiveAt: number }> }

function generate(rng: Rng) {
  const templates = {
    user: eventFixture('user.updated').data,
    org: eventFixture('organization.updated').data,
    membership: eventFixture('organizationMembership.updated').data,
    invitation: eventFixture('organizationInvitation.accepted').data,
    session: eventFixture('session.updated').data,
  };
  const events: Envelope[] = [];
  const emit = (type: string, timestamp: number, data: Record<string, unknown>) => events.push({ type, object: 'event', timestamp, instance_id: INSTANCE, data });
  const step = () => rng.between(1, 60_000);

  const users: User[] = [];
  for (let i = 0; i < SIZES.users; i++) {
    const createdAt = T0 + rng.int(3_600_000);
    const user: User = { id: rng.id('user'), createdAt, versions: [], deletedAt: null };
    const pool = Array.from({ length: 4 }, (_, k) => ({ id: rng.id('idn'), address: `u${i}.${k}@example.com` }));
    let t = createdAt;
    for (let v = 0, n = rng.between(1, 4); v < n; v++) {
      const emails = pool.filter(() => rng.chance(0.5));
      if (emails.length === 0) emails.push(rng.pick(pool));
      user.versions.push({
        updatedAt: t,
        firstName: `First${i}v${v}`,
        banned: rng.chance(0.2),
        emails,
        primaryEmailId: rng.pick(emails).id,
        phones: rng.chance(0.4) ? [{ id: rng.id('idn'), number: `+1555${String(i).padStart(4, '0')}${v}` }] : [],
      });
      t += step();
    }
    if (rng.chance(0.25)) user.deletedAt = t + step();
    users.push(user);
  }
  const userData = (user: User, v: UserVersion) => ({
    ...templates.user,
    id: user.id,
    first_name: v.firstName,
    banned: v.banned,
    email_addresses: v.emails.map((e) => ({ ...templates.user.email_addresses[0], id: e.id, email_address: e.address })),
    primary_email_address_id: v.primaryEmailId,
    phone_numbers: v.phones.map((p) => ({ object: 'phone_number', id: p.id, phone_number: p.number, reserved: false, verification: null, linked_to: [], created_at: v.updatedAt, updated_at: v.updatedAt })),
    primary_phone_number_id: v.phones[0]?.id ?? null,
    created_at: user.createdAt,
    updated_at: v.updatedAt,
  });
  /** The version a session event at `at` carries: the newest one not after it. */
  const versionAt = (user: User, at: number) => [...user.versions].reverse().find((v) => v.updatedAt <= at) ?? user.versions[0]!;
  for (const user of users) {
    user.versions.forEach((v, k) => emit(k === 0 ? 'user.created' : 'user.updated', v.updatedAt, userData(user, v)));
    if (user.deletedAt !== null) emit('user.deleted', user.deletedAt, { object: 'user', id: user.id, deleted: true });
  }

  const orgs: Org[] = [];
  for (let i = 0; i < SIZES.organizations; i++) {
    const createdAt = T0 + rng.int(3_600_000);
    const org: Org = { id: rng.id('org'), createdAt, names: [], deletedAt: null };
    let t = createdAt;
    for (let v = 0, n = rng.between(1, 3); v < n; v++) {
      org.names.push({ updatedAt: t, name: `Org ${i} v${v}` });
      t += step();
    }
    if (rng.chance(0.3)) org.deletedAt = t + step();
    orgs.push(org);
    org.names.forEach((v, k) => emit(k === 0 ? 'organization.created' : 'organization.updated', v.updatedAt, { ...templates.org, id: org.id, slug: `org-${i}`, name: v.name, created_at: createdAt, updated_at: v.updatedAt }));
    if (org.deletedAt !== null) emit('organization.deleted', org.deletedAt, { object: 'organization', id: org.id, slug: `org-${i}`, deleted: true });
  }

  // Memberships: distinct organization/user pairs; a deleted one is sometimes followed by a re-join.
  const memberships: Membership[] = [];
  const pairs = new Set<string>();
  const membershipData = (m: Membership, role: string, updatedAt: number) => ({
    ...templates.membership,
    id: m.id,
    role,
    organization: { ...templates.membership.organization, id: m.org.id },
    public_user_data: { ...templates.membership.public_user_data, user_id: m.user.id },
    created_at: m.createdAt,
    updated_at: updatedAt,
  });
  const addMembership = (org: Org, user: User, createdAt: number): Membership => {
    const m: Membership = { id: rng.id('orgmem'), org, user, createdAt, roles: [], deletedAt: null };
    let t = createdAt;
    for (let v = 0, n = rng.between(1, 3); v < n; v++) {
      m.roles.push({ updatedAt: t, role: rng.pick(['org:member', 'org:admin', 'org:billing']) });
      t += step();
    }
    if (rng.chance(0.35)) m.deletedAt = t + step();
    memberships.push(m);
    m.roles.forEach((v, k) => emit(k === 0 ? 'organizationMembership.created' : 'organizationMembership.updated', v.updatedAt, membershipData(m, v.role, v.updatedAt)));
    if (m.deletedAt !== null) emit('organizationMembership.deleted', m.deletedAt, membershipData(m, m.roles.at(-1)!.role, m.roles.at(-1)!.updatedAt));
    return m;
  };
  while (memberships.length < SIZES.memberships) {
    const org = rng.pick(orgs);
    const user = rng.pick(users);
    if (pairs.has(`${org.id}/${user.id}`)) continue;
    pairs.add(`${org.id}/${user.id}`);
    const first = addMembership(org, user, Math.max(org.createdAt, user.createdAt) + step());
    if (first.deletedAt !== null && rng.chance(0.5)) addMembership(org, user, first.deletedAt + step());
  }

  const invitations: Invitation[] = [];
  for (let i = 0; i < SIZES.invitations; i++) {
    const org = rng.pick(orgs);
    const createdAt = org.createdAt + step();
    const inv: Invitation = { id: rng.id('orginv'), org, createdAt, steps: [{ updatedAt: createdAt, status: 'pending', role: 'org:member', userId: null }] };
    let t = createdAt;
    if (rng.chance(0.3)) inv.steps.push({ updatedAt: (t += step()), status: 'pending', role: 'org:admin', userId: null });
    const role = inv.steps.at(-1)!.role;
    const end = rng.next();
    const at = rng.chance(0.3) ? t : (t += step()); // sometimes in the same millisecond as the pending step
    if (end < 0.45) inv.steps.push({ updatedAt: at, status: 'accepted', role, userId: rng.pick(users).id });
    else if (end < 0.75) inv.steps.push({ updatedAt: at, status: 'revoked', role, userId: null });
    invitations.push(inv);
    for (const s of inv.steps) {
      const type = s.status === 'pending' ? 'organizationInvitation.created' : `organizationInvitation.${s.status}`;
      const { user_id: _, ...base } = templates.invitation;
      emit(type, s.updatedAt, { ...base, id: inv.id, organization_id: org.id, status: s.status, role: s.role, ...(s.userId ? { user_id: s.userId } : {}), created_at: createdAt, updated_at: s.updatedAt });
    }
  }

  const sessions: Session[] = [];
  for (let i = 0; i < SIZES.sessions; i++) {
    const user = rng.pick(users);
    const session: Session = { id: rng.id('sess'), user, steps: [] };
    let t = user.createdAt + step();
    session.steps.push({ at: t, status: 'active', lastActiveAt: t });
    for (let n = rng.int(3); n > 0; n--) session.steps.push({ at: (t += step()), status: 'active', lastActiveAt: t });
    // A final status, sometimes in the same millisecond as the step before: the status alone must decide.
    if (rng.chance(0.6)) session.steps.push({ at: rng.chance(0.3) ? t : (t += step()), status: rng.pick(['ended', 'revoked', 'removed']), lastActiveAt: session.steps.at(-1)!.lastActiveAt });
    sessions.push(session);
    session.steps.forEach((s, k) => {
      const type = k === 0 ? 'session.created' : s.status === 'active' ? 'session.updated' : `session.${s.status}`;
      emit(type, s.at, {
        ...templates.session,
        id: session.id,
        user_id: user.id,
        user: userData(user, versionAt(user, s.at)),
        status: s.status,
        last_active_at: s.lastActiveAt,
        created_at: session.steps[0]!.at,
        updated_at: s.at,
      });
    });
  }
  return { events, users, orgs, memberships, invitations, sessions };
}

// ---- expected final state, from the histories alone

function expectedState(world: ReturnType<typeof generate>) {
  const { users, orgs, memberships, invitations, sessions } = world;
  const userDeleted = new Set(users.filter((u) => u.deletedAt !== null).map((u) => u.id));
  const orgDeleted = new Set(orgs.filter((o) => o.deletedAt !== null).map((o) => o.id));
  const newestOfPair = new Map<string, Membership>();
  for (const m of memberships) {
    const key = `${m.org.id}/${m.user.id}`;
    const cur = newestOfPair.get(key);
    if (!cur || m.createdAt > cur.createdAt) newestOfPair.set(key, m);
  }
  return {
    users: users.map((u) => {
      const last = u.versions.at(-1)!;
      return u.deletedAt !== null
        ? { id: u.id, deleted_at: u.deletedAt, first_name: null, primary_email_address: null, emails: [], phones: [] }
        : {
            id: u.id, deleted_at: null, first_name: last.firstName,
            primary_email_address: last.emails.find((e) => e.id === last.primaryEmailId)!.address,
            emails: last.emails.map((e) => e.address).sort(),
            phones: last.phones.map((p) => p.number),
            banned: last.banned,
            updated_at: last.updatedAt,
          };
    }),
    orgs: orgs.map((o) => (o.deletedAt !== null ? { id: o.id, deleted_at: o.deletedAt } : { id: o.id, deleted_at: null, name: o.names.at(-1)!.name })),
    memberships: memberships.map((m) => {
      const ended = m.deletedAt !== null || orgDeleted.has(m.org.id) || userDeleted.has(m.user.id) || newestOfPair.get(`${m.org.id}/${m.user.id}`) !== m;
      return ended ? { id: m.id, ended } : { id: m.id, ended, role: m.roles.at(-1)!.role, updated_at: m.roles.at(-1)!.updatedAt };
    }),
    invitations: invitations.map((i) => {
      const last = i.steps.at(-1)!;
      const ended = orgDeleted.has(i.org.id) || (last.userId !== null && userDeleted.has(last.userId));
      return ended ? { id: i.id, ended } : { id: i.id, ended, status: last.status, role: last.role, user_id: last.userId };
    }),
    sessions: sessions.map((s) => {
      const last = s.steps.at(-1)!;
      return userDeleted.has(s.user.id)
        ? { id: s.id, status: last.status === 'active' ? 'ended' : last.status, deleted: true, erased: true }
        : { id: s.id, status: last.status, deleted: false, erased: false, last_active_at: last.lastActiveAt };
    }),
  };
}

// ---- the test

/**
 * PostgreSQL runs several workers at once (batches of events, each batch one transaction), so
 * events of one entity, and a parent's deletion and its children, race inside the database. A lost
 * race (a deadlock between two batches, the one-active-membership index) fails the event, and its
 * quick retry must then apply it. Deadlocks are detected after 20 ms instead of 1 s to keep the
 * test short. SQLite has a single writer.
 */
const WORKERS = { sqlite: 1, postgres: 4, pgbouncer: 4 } as const;

for (const dialect of testTargets()) describe(`randomized delivery converges [${dialect}, ${WORKERS[dialect]} worker(s)] (CLERK_SYNC_SEED=${SEED})`, () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({
      dialect,
      database: await freshDatabaseWithQuickDeadlocks(dialect),
      worker: { pollIntervalMs: 20, concurrency: WORKERS[dialect], retrySchedule: [20, 50, 100, 200, 500, 1000, 2000, 5000] },
    });
  });
  after(() => svc.close());

  it('shuffled histories with duplicates and replays end in the newest state', { timeout: 120_000 }, async (t) => {
    t.diagnostic(`seed ${SEED} (rerun with CLERK_SYNC_SEED=${SEED})`);
    const rng = new Rng(SEED);
    const world = generate(rng);

    // Every event under its own svix-id; some sent twice under it (duplicates), some again under a new one (replays).
    const deliveries: Array<{ id: string; event: Envelope }> = world.events.map((event) => ({ id: rng.id('msg'), event }));
    const extra: typeof deliveries = [];
    for (const d of deliveries) {
      if (rng.chance(0.1)) extra.push(d);
      if (rng.chance(0.1)) extra.push({ id: rng.id('msg'), event: d.event });
    }
    const all = rng.shuffle([...deliveries, ...extra]);
    const distinctIds = new Set(all.map((d) => d.id)).size;
    t.diagnostic(`${world.events.length} events, ${all.length} deliveries, ${distinctIds} distinct svix-ids`);

    let next = 0;
    await Promise.all(Array.from({ length: SEND_CONCURRENCY }, async () => {
      while (next < all.length) {
        const d = all[next++]!;
        const res = await svc.send(d.event, { id: d.id });
        assert.equal(res.status, 200, `delivery of ${d.event.type} answered ${res.status}`);
      }
    }));

    const db = svc.sync.database.db;
    await waitFor(async () => {
      const counts = await db.selectFrom('clerk_webhook_events').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
      if (counts.some((c) => c.status === 'dead') || (WORKERS[dialect] === 1 && counts.some((c) => c.status === 'failed'))) {
        const errors = await db.selectFrom('clerk_webhook_events').select(['type', 'status', 'last_error']).where('status', 'in', ['failed', 'dead']).limit(5).execute();
        assert.fail(`events failed: ${JSON.stringify(errors)}`);
      }
      return Number(counts.find((c) => c.status === 'done')?.n ?? 0) === distinctIds;
    }, { timeoutMs: 90_000, intervalMs: 50, what: `${distinctIds} events to be processed` });
    const retried = await db.selectFrom('clerk_webhook_attempts').select(['outcome', 'error']).where('outcome', '=', 'failed').execute();
    t.diagnostic(`${retried.length} attempts lost a race and were retried${retried.length ? `: ${[...new Set(retried.map((r) => r.error?.slice(0, 80)))].join(' | ')}` : ''}`);

    const expected = expectedState(world);
    const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));

    const users = byId(await db.selectFrom('clerk_users').select(['id', 'deleted_at', 'first_name', 'banned', 'primary_email_address', 'updated_at']).execute());
    const emails = await db.selectFrom('clerk_user_email_addresses').select(['user_id', 'email_address']).execute();
    const phones = await db.selectFrom('clerk_user_phone_numbers').select(['user_id', 'phone_number']).execute();
    const group = (rows: Array<{ user_id: string; v: string | null }>) => {
      const m = new Map<string, string[]>();
      for (const r of rows) m.set(r.user_id, [...(m.get(r.user_id) ?? []), r.v!]);
      return m;
    };
    const emailsOf = group(emails.map((r) => ({ user_id: r.user_id, v: r.email_address })));
    const phonesOf = group(phones.map((r) => ({ user_id: r.user_id, v: r.phone_number })));
    for (const want of expected.users) {
      const got = users.get(want.id);
      assert.ok(got, `user ${want.id} exists`);
      const state = { id: got.id, deleted_at: got.deleted_at, first_name: got.first_name, primary_email_address: got.primary_email_address, emails: (emailsOf.get(want.id) ?? []).sort(), phones: phonesOf.get(want.id) ?? [] };
      // A deleted user keeps no personal data; what else it keeps depends on what arrived before the deletion.
      assert.deepEqual(want.deleted_at !== null ? state : { ...state, banned: asBool(got.banned), updated_at: got.updated_at }, want, `user ${want.id}`);
    }

    const orgs = byId(await db.selectFrom('clerk_organizations').select(['id', 'deleted_at', 'name']).execute());
    for (const want of expected.orgs) {
      const got = orgs.get(want.id)!;
      assert.deepEqual(want.deleted_at !== null ? { id: got.id, deleted_at: got.deleted_at } : { id: got.id, deleted_at: got.deleted_at, name: got.name }, want, `organization ${want.id}`);
    }

    const memberships = byId(await db.selectFrom('clerk_organization_memberships').select(['id', 'deleted_at', 'role', 'updated_at']).execute());
    for (const want of expected.memberships) {
      const got = memberships.get(want.id)!;
      const ended = got.deleted_at !== null;
      assert.deepEqual(want.ended ? { id: got.id, ended } : { id: got.id, ended, role: got.role, updated_at: got.updated_at }, want, `membership ${want.id}`);
    }

    const invitations = byId(await db.selectFrom('clerk_organization_invitations').select(['id', 'deleted_at', 'status', 'role', 'user_id']).execute());
    for (const want of expected.invitations) {
      const got = invitations.get(want.id)!;
      const ended = got.deleted_at !== null;
      assert.deepEqual(want.ended ? { id: got.id, ended } : { id: got.id, ended, status: got.status, role: got.role, user_id: got.user_id }, want, `organization invitation ${want.id}`);
    }

    const sessions = byId(await db.selectFrom('clerk_sessions').select(['id', 'status', 'deleted_at', 'payload', 'last_active_at']).execute());
    for (const want of expected.sessions) {
      const got = sessions.get(want.id)!;
      const base = { id: got.id, status: got.status, deleted: got.deleted_at !== null, erased: got.payload === null };
      assert.deepEqual(want.deleted ? base : { ...base, last_active_at: got.last_active_at }, want, `session ${want.id}`);
    }

    t.diagnostic(`checked ${expected.users.length} users, ${expected.orgs.length} organizations, ${expected.memberships.length} memberships, ${expected.invitations.length} invitations, ${expected.sessions.length} sessions`);
  });
});
