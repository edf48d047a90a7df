import type { Kysely } from 'kysely';
import type { ClerkEventType } from '../../src/events/catalog.js';
import { eventFixture } from '../../src/events/fixtures.js';
import type { ClerkSyncDatabase } from '../../src/store/schema.js';
import {
  apiInvitation,
  apiMembership,
  apiOrganization,
  apiOrganizationDomain,
  apiOrganizationInvitation,
  apiPermission,
  apiPlan,
  apiRole,
  apiSubscriptionItem,
  apiUser,
  apiWaitlistEntry,
  freePlan,
  organizationRef,
  type MockClerkInstance,
  type MockResource,
} from './mock-clerk-api.js';
import type { Rng } from './random.js';

/**
 * A seeded random Clerk history, played on the Backend API stand-in (mock-clerk-api.ts): each
 * change creates, updates or deletes an object of one of the ten resources there, keeping the
 * references Clerk keeps (memberships, domains and invitations of existing organizations and
 * users; roles list existing permissions), and returns the webhooks Clerk sends for it.
 *
 * What Clerk does around a change, as modelled here:
 * - deleting a user removes their memberships and the organization invitations they accepted
 *   (only `user.deleted` is sent); deleting an organization removes its memberships, domains and
 *   invitations (only `organization.deleted`); deleting a permission removes it from the roles
 *   listing it, without changing the roles' `updated_at` (only `permission.deleted`);
 * - accepting an organization invitation makes the user a member (`organizationInvitation.accepted`,
 *   then `organizationMembership.created` when they were not one);
 * - renaming a user or an organization updates the copies memberships, invitations and domains
 *   embed, without changing their `updated_at`; a permission's update does the same in roles;
 * - invitations, waitlist entries and subscription items may disappear from their lists with no
 *   event at all (`remove`), as Clerk deletes waitlist entries.
 *
 * The webhook `data` is the object as the stand-in now lists it (a deep copy), except for
 * `*.deleted` (what Clerk sends: `{object, id, deleted: true}`, plus `slug` for organizations; the
 * full membership for organizationMembership.deleted) and subscription items, sent in the webhook
 * shape (`interval`, `plan.amount`/`plan.currency`, `subscription_id`) while the stand-in holds
 * the Backend API's (`plan_period`, `plan.fee`, no `subscription_id`).
 */

type ApiObject = Record<string, any>;

/** What Clerk POSTs: an event envelope. */
export interface ClerkEnvelope {
  object: 'event';
  type: ClerkEventType;
  timestamp: number;
  instance_id: string;
  data: ApiObject;
}

export type ChangeKind = 'create' | 'update' | 'delete' | 'remove';

export interface WorldChange {
  kind: ChangeKind;
  resource: MockResource;
  id: string;
  /** In the order Clerk sends them; none for a `remove`. */
  events: ClerkEnvelope[];
}

/** Times for the history: `start`, then every `step` ms; strictly increasing. */
export class Clock {
  #next: number;
  readonly step: number;
  constructor(start: number, step: number) {
    if (!(step > 0)) throw new Error('the clock must move forward');
    this.#next = start;
    this.step = step;
  }
  /** The next time (each call a later one). */
  tick(): number {
    const t = this.#next;
    this.#next += this.step;
    return t;
  }
}

export interface StepOptions {
  /** Allow removals that send no webhook (invitations, waitlist entries, subscription items); default true. */
  silentRemovals?: boolean;
}

/** Relative weights of the resources a random change touches. */
const WEIGHTS: Record<MockResource, number> = {
  users: 14,
  organizations: 9,
  memberships: 14,
  organizationInvitations: 10,
  organizationDomains: 8,
  roles: 8,
  permissions: 8,
  invitations: 9,
  waitlistEntries: 9,
  subscriptionItems: 11,
};

const MEMBER_ROLES = ['org:admin', 'org:member', 'org:billing'] as const;
const ROLE_NAMES = { 'org:admin': 'Admin', 'org:member': 'Member', 'org:billing': 'Billing' } as const;
const ENROLLMENT_MODES = ['manual_invitation', 'automatic_invitation', 'automatic_suggestion'] as const;
const ITEM_STATUSES = ['active', 'past_due', 'canceled', 'ended', 'upcoming', 'incomplete', 'abandoned'] as const;
const ITEM_EVENT: Record<(typeof ITEM_STATUSES)[number], ClerkEventType> = {
  active: 'subscriptionItem.active',
  past_due: 'subscriptionItem.pastDue',
  canceled: 'subscriptionItem.canceled',
  ended: 'subscriptionItem.ended',
  upcoming: 'subscriptionItem.upcoming',
  incomplete: 'subscriptionItem.incomplete',
  abandoned: 'subscriptionItem.abandoned',
};
const WAITLIST_NEXT: Record<string, readonly string[]> = { pending: ['invited', 'rejected'], invited: ['completed', 'rejected'], rejected: ['invited'], completed: [] };

const clone = <T>(v: T): T => structuredClone(v);

export class ClerkWorld {
  readonly api: MockClerkInstance;
  readonly rng: Rng;
  clock: Clock;
  readonly #plans: ApiObject[];
  /** subscription_id of each item: the webhooks carry it, the Backend API's item does not. */
  readonly #subscriptionOf = new Map<string, string>();
  #names = 0;

  /** `api`: the stand-in (or one of its otherInstances), whose arrays the world changes in place. */
  constructor(api: MockClerkInstance, rng: Rng, clock: Clock) {
    this.api = api;
    this.rng = rng;
    this.clock = clock;
    this.#plans = [freePlan({ id: rng.id('cplan'), slug: 'free' }), apiPlan({ id: rng.id('cplan'), name: 'Pro', slug: 'pro' }), apiPlan({ id: rng.id('cplan'), name: 'Team', slug: 'team', fee: { amount: 5000 }, for_payer_type: 'org' })];
  }

  /** `n` random changes. */
  run(n: number, options: StepOptions = {}): WorldChange[] {
    return Array.from({ length: n }, () => this.step(options));
  }

  /** One random change: a create, update, delete or (silent) removal of a random resource. */
  step(options: StepOptions = {}): WorldChange {
    const silent = options.silentRemovals ?? true;
    for (;;) {
      const resource = this.#pickResource();
      const existing = this.api[resource].length;
      const r = this.rng.next();
      // Deleting a user or an organization takes much with it: rarer.
      const deletes = resource === 'users' || resource === 'organizations' ? 0.08 : 0.16;
      const kind: ChangeKind = existing === 0 || r < 0.5 ? 'create' : r < 1 - deletes ? 'update' : 'delete';
      const change = this.change(resource, kind, { silentRemovals: silent });
      if (change) return change;
    }
  }

  /** A change of that kind to a random object of `resource`, or null when there is none to make. */
  change(resource: MockResource, kind: ChangeKind, options: StepOptions = {}): WorldChange | null {
    const silent = options.silentRemovals ?? true;
    switch (resource) {
      case 'users':
        return kind === 'create' ? this.createUser() : kind === 'update' ? this.#with(this.api.users, (u) => this.updateUser(u)) : this.#with(this.api.users, (u) => this.deleteUser(u));
      case 'organizations':
        return kind === 'create' ? this.createOrganization() : kind === 'update' ? this.#with(this.api.organizations, (o) => this.updateOrganization(o)) : this.#with(this.api.organizations, (o) => this.deleteOrganization(o));
      case 'memberships':
        return kind === 'create' ? this.createMembership() : kind === 'update' ? this.#with(this.api.memberships, (m) => this.updateMembership(m)) : this.#with(this.api.memberships, (m) => this.deleteMembership(m));
      case 'organizationInvitations': {
        // Clerk deletes no organization invitation: they end accepted, revoked or expired.
        const pending = this.api.organizationInvitations.filter((i) => i.status === 'pending');
        return kind === 'create' || pending.length === 0 ? this.createOrganizationInvitation() : this.#with(pending, (i) => this.endOrganizationInvitation(i));
      }
      case 'organizationDomains':
        return kind === 'create' ? this.createDomain() : kind === 'update' ? this.#with(this.api.organizationDomains, (d) => this.updateDomain(d)) : this.#with(this.api.organizationDomains, (d) => this.deleteDomain(d));
      case 'roles':
        return kind === 'create' ? this.createRole() : kind === 'update' ? this.#with(this.api.roles, (r) => this.updateRole(r)) : this.#with(this.api.roles, (r) => this.deleteRole(r));
      case 'permissions':
        return kind === 'create' ? this.createPermission() : kind === 'update' ? this.#with(this.api.permissions, (p) => this.updatePermission(p)) : this.#with(this.api.permissions, (p) => this.deletePermission(p));
      case 'invitations': {
        const pending = this.api.invitations.filter((i) => i.status === 'pending');
        if (kind === 'create') return this.createInvitation();
        if (kind === 'update' || !silent) return pending.length ? this.#with(pending, (i) => this.endInvitation(i)) : this.createInvitation();
        return this.#with(this.api.invitations, (i) => this.remove('invitations', i));
      }
      case 'waitlistEntries': {
        const movable = this.api.waitlistEntries.filter((e) => WAITLIST_NEXT[e.status]!.length > 0);
        if (kind === 'create') return this.createWaitlistEntry();
        if (kind === 'update' || !silent) return movable.length ? this.#with(movable, (e) => this.updateWaitlistEntry(e)) : this.createWaitlistEntry();
        return this.#with(this.api.waitlistEntries, (e) => this.remove('waitlistEntries', e));
      }
      case 'subscriptionItems':
        if (kind === 'create') return this.createSubscriptionItem();
        if (kind === 'update' || !silent) return this.#with(this.api.subscriptionItems, (i) => this.updateSubscriptionItem(i));
        return this.#with(this.api.subscriptionItems, (i) => this.remove('subscriptionItems', i));
    }
  }

  // ---- users

  createUser(): WorldChange {
    const t = this.clock.tick();
    const n = this.#name();
    const user = apiUser(t, t, { id: this.rng.id('user'), first_name: `First${n}`, last_name: `Last${n}` });
    user.email_addresses = user.email_addresses.map((e: ApiObject) => ({ ...e, email_address: `user${n}.${user.id.slice(-6).toLowerCase()}@example.com` }));
    this.api.users.push(user);
    return this.#change('create', 'users', user.id, [this.#event('user.created', t, user)]);
  }

  updateUser(user: ApiObject): WorldChange {
    const t = this.clock.tick();
    user.first_name = `First${this.#name()}`;
    user.updated_at = t;
    for (const m of this.api.memberships) if (m.public_user_data?.user_id === user.id) m.public_user_data.first_name = user.first_name;
    return this.#change('update', 'users', user.id, [this.#event('user.updated', t, user)]);
  }

  deleteUser(user: ApiObject): WorldChange {
    const t = this.clock.tick();
    this.#drop('users', user);
    this.api.memberships = this.api.memberships.filter((m) => m.public_user_data?.user_id !== user.id);
    this.api.organizationInvitations = this.api.organizationInvitations.filter((i) => i.user_id !== user.id);
    const data = { ...eventFixture('user.deleted').data, id: user.id, external_id: user.external_id ?? null };
    return this.#change('delete', 'users', user.id, [this.#event('user.deleted', t, data)]);
  }

  // ---- organizations

  createOrganization(): WorldChange {
    const t = this.clock.tick();
    const n = this.#name();
    const id = this.rng.id('org');
    const creator = this.api.users.length ? this.rng.pick(this.api.users).id : null;
    const org = apiOrganization(t, t, { id, name: `Org ${n}`, slug: `org-${n}-${id.slice(-6).toLowerCase()}`, created_by: creator, members_count: 0 });
    this.api.organizations.push(org);
    return this.#change('create', 'organizations', org.id, [this.#event('organization.created', t, org)]);
  }

  updateOrganization(org: ApiObject): WorldChange {
    const t = this.clock.tick();
    org.name = `Org ${this.#name()}`;
    org.updated_at = t;
    for (const m of this.api.memberships) if (m.organization.id === org.id) m.organization.name = org.name;
    for (const x of [...this.api.organizationInvitations, ...this.api.organizationDomains]) {
      if (x.organization_id === org.id && x.public_organization_data) x.public_organization_data.name = org.name;
    }
    return this.#change('update', 'organizations', org.id, [this.#event('organization.updated', t, org)]);
  }

  deleteOrganization(org: ApiObject): WorldChange {
    const t = this.clock.tick();
    this.#drop('organizations', org);
    this.api.memberships = this.api.memberships.filter((m) => m.organization.id !== org.id);
    this.api.organizationDomains = this.api.organizationDomains.filter((d) => d.organization_id !== org.id);
    this.api.organizationInvitations = this.api.organizationInvitations.filter((i) => i.organization_id !== org.id);
    const data = { ...eventFixture('organization.deleted').data, id: org.id, slug: org.slug };
    return this.#change('delete', 'organizations', org.id, [this.#event('organization.deleted', t, data)]);
  }

  // ---- memberships

  /** A membership of a user in an organization they are not a member of; null when every pair is taken. */
  createMembership(pair?: { org: ApiObject; user: ApiObject }): WorldChange | null {
    const chosen = pair ?? this.#freePair();
    if (!chosen) return null;
    const t = this.clock.tick();
    const role = this.rng.pick(MEMBER_ROLES);
    const m = apiMembership(chosen.org, chosen.user, t, { id: this.rng.id('orgmem'), role, role_name: ROLE_NAMES[role] });
    this.api.memberships.push(m);
    chosen.org.members_count = this.#members(chosen.org.id);
    return this.#change('create', 'memberships', m.id, [this.#event('organizationMembership.created', t, m)]);
  }

  updateMembership(m: ApiObject): WorldChange {
    const t = this.clock.tick();
    const role = this.rng.pick(MEMBER_ROLES.filter((r) => r !== m.role));
    m.role = role;
    m.role_name = ROLE_NAMES[role];
    m.updated_at = t;
    return this.#change('update', 'memberships', m.id, [this.#event('organizationMembership.updated', t, m)]);
  }

  deleteMembership(m: ApiObject): WorldChange {
    const t = this.clock.tick();
    this.#drop('memberships', m);
    const org = this.api.organizations.find((o) => o.id === m.organization.id);
    if (org) org.members_count = this.#members(org.id);
    return this.#change('delete', 'memberships', m.id, [this.#event('organizationMembership.deleted', t, m)]);
  }

  // ---- organization invitations

  createOrganizationInvitation(): WorldChange | null {
    if (this.api.organizations.length === 0) return this.createOrganization();
    const org = this.rng.pick(this.api.organizations);
    const t = this.clock.tick();
    const role = this.rng.pick(MEMBER_ROLES);
    const inviter = this.api.users.length ? this.rng.pick(this.api.users).id : null;
    const inv = apiOrganizationInvitation(t, t, { id: this.rng.id('orginv'), ...organizationRef(org), role, role_name: ROLE_NAMES[role], status: 'pending', inviter_id: inviter, expires_at: t + 30 * 86_400_000 });
    this.api.organizationInvitations.push(inv);
    return this.#change('create', 'organizationInvitations', inv.id, [this.#event('organizationInvitation.created', t, inv)]);
  }

  /** A pending invitation accepted (by a random user, who becomes a member) or revoked. */
  endOrganizationInvitation(inv: ApiObject): WorldChange {
    const t = this.clock.tick();
    inv.updated_at = t;
    if (this.api.users.length === 0 || this.rng.chance(0.4)) {
      inv.status = 'revoked';
      return this.#change('update', 'organizationInvitations', inv.id, [this.#event('organizationInvitation.revoked', t, inv)]);
    }
    const user = this.rng.pick(this.api.users);
    inv.status = 'accepted';
    inv.user_id = user.id;
    const events = [this.#event('organizationInvitation.accepted', t, inv)];
    const org = this.api.organizations.find((o) => o.id === inv.organization_id)!;
    const member = this.api.memberships.some((m) => m.organization.id === org.id && m.public_user_data?.user_id === user.id);
    if (!member) {
      const joined = this.createMembership({ org, user })!;
      const m = this.api.memberships.at(-1)!;
      m.role = inv.role;
      m.role_name = inv.role_name;
      joined.events[0]!.data = clone(m);
      events.push(...joined.events);
    }
    return this.#change('update', 'organizationInvitations', inv.id, events);
  }

  // ---- organization domains

  createDomain(): WorldChange | null {
    if (this.api.organizations.length === 0) return this.createOrganization();
    const org = this.rng.pick(this.api.organizations);
    const t = this.clock.tick();
    const d = apiOrganizationDomain(t, t, { id: this.rng.id('orgdmn'), ...organizationRef(org), enrollment_mode: this.rng.pick(ENROLLMENT_MODES) });
    this.api.organizationDomains.push(d);
    return this.#change('create', 'organizationDomains', d.id, [this.#event('organizationDomain.created', t, d)]);
  }

  updateDomain(d: ApiObject): WorldChange {
    const t = this.clock.tick();
    d.enrollment_mode = this.rng.pick(ENROLLMENT_MODES.filter((m) => m !== d.enrollment_mode));
    d.updated_at = t;
    return this.#change('update', 'organizationDomains', d.id, [this.#event('organizationDomain.updated', t, d)]);
  }

  deleteDomain(d: ApiObject): WorldChange {
    const t = this.clock.tick();
    this.#drop('organizationDomains', d);
    const data = { ...eventFixture('organizationDomain.deleted').data, id: d.id };
    return this.#change('delete', 'organizationDomains', d.id, [this.#event('organizationDomain.deleted', t, data)]);
  }

  // ---- roles and permissions

  createRole(): WorldChange {
    const t = this.clock.tick();
    const role = apiRole(t, t, { id: this.rng.id('role'), name: `Role ${this.#name()}`, permissions: this.#somePermissions() });
    this.api.roles.push(role);
    return this.#change('create', 'roles', role.id, [this.#event('role.created', t, role)]);
  }

  /** A new name, new permissions, or both. */
  updateRole(role: ApiObject): WorldChange {
    const t = this.clock.tick();
    const what = this.rng.int(3);
    if (what !== 1) role.name = `Role ${this.#name()}`;
    if (what !== 0) role.permissions = this.#somePermissions();
    role.updated_at = t;
    return this.#change('update', 'roles', role.id, [this.#event('role.updated', t, role)]);
  }

  deleteRole(role: ApiObject): WorldChange {
    const t = this.clock.tick();
    this.#drop('roles', role);
    const data = { ...eventFixture('role.deleted').data, id: role.id };
    return this.#change('delete', 'roles', role.id, [this.#event('role.deleted', t, data)]);
  }

  createPermission(): WorldChange {
    const t = this.clock.tick();
    const p = apiPermission(t, t, { id: this.rng.id('perm'), name: `Permission ${this.#name()}` });
    this.api.permissions.push(p);
    return this.#change('create', 'permissions', p.id, [this.#event('permission.created', t, p)]);
  }

  updatePermission(p: ApiObject): WorldChange {
    const t = this.clock.tick();
    p.name = `Permission ${this.#name()}`;
    p.updated_at = t;
    for (const role of this.api.roles) role.permissions = role.permissions.map((x: ApiObject) => (x.id === p.id ? clone(p) : x));
    return this.#change('update', 'permissions', p.id, [this.#event('permission.updated', t, p)]);
  }

  deletePermission(p: ApiObject): WorldChange {
    const t = this.clock.tick();
    this.#drop('permissions', p);
    for (const role of this.api.roles) role.permissions = role.permissions.filter((x: ApiObject) => x.id !== p.id);
    const data = { ...eventFixture('permission.deleted').data, id: p.id };
    return this.#change('delete', 'permissions', p.id, [this.#event('permission.deleted', t, data)]);
  }

  // ---- application invitations, waitlist entries

  createInvitation(): WorldChange {
    const t = this.clock.tick();
    const inv = apiInvitation(t, t, { id: this.rng.id('inv'), status: 'pending', revoked: false, expires_at: t + 30 * 86_400_000 });
    this.api.invitations.push(inv);
    return this.#change('create', 'invitations', inv.id, [this.#event('invitation.created', t, inv)]);
  }

  endInvitation(inv: ApiObject): WorldChange {
    const t = this.clock.tick();
    const revoke = this.rng.chance(0.5);
    inv.status = revoke ? 'revoked' : 'accepted';
    inv.revoked = revoke;
    inv.updated_at = t;
    return this.#change('update', 'invitations', inv.id, [this.#event(revoke ? 'invitation.revoked' : 'invitation.accepted', t, inv)]);
  }

  createWaitlistEntry(): WorldChange {
    const t = this.clock.tick();
    const e = apiWaitlistEntry(t, t, { id: this.rng.id('wle'), status: 'pending', invitation: null });
    this.api.waitlistEntries.push(e);
    return this.#change('create', 'waitlistEntries', e.id, [this.#event('waitlistEntry.created', t, e)]);
  }

  updateWaitlistEntry(e: ApiObject): WorldChange {
    const t = this.clock.tick();
    e.status = this.rng.pick(WAITLIST_NEXT[e.status]!);
    e.updated_at = t;
    return this.#change('update', 'waitlistEntries', e.id, [this.#event('waitlistEntry.updated', t, e)]);
  }

  // ---- subscription items

  createSubscriptionItem(): WorldChange {
    const t = this.clock.tick();
    const plan = clone(this.rng.pick(this.#plans));
    const byOrg = plan.for_payer_type === 'org' && this.api.organizations.length > 0;
    const payerOf = byOrg ? this.rng.pick(this.api.organizations) : this.api.users.length ? this.rng.pick(this.api.users) : null;
    const status = this.rng.pick(['active', 'active', 'upcoming', 'incomplete'] as const);
    const item = apiSubscriptionItem(t, t, { id: this.rng.id('csub_item'), instance_id: this.api.instanceId, plan, plan_id: plan.id, status, is_free_trial: this.rng.chance(0.2) });
    const payerId = this.rng.id('cpayer');
    item.payer_id = payerId;
    item.payer = {
      ...item.payer,
      id: payerId,
      instance_id: this.api.instanceId,
      user_id: byOrg ? '' : (payerOf?.id ?? ''),
      organization_id: byOrg ? payerOf!.id : '',
      organization_name: byOrg ? payerOf!.name : '',
    };
    this.#subscriptionOf.set(item.id, this.rng.id('csub'));
    this.api.subscriptionItems.push(item);
    return this.#change('create', 'subscriptionItems', item.id, [this.#event(ITEM_EVENT[status], t, item)]);
  }

  updateSubscriptionItem(item: ApiObject): WorldChange {
    const t = this.clock.tick();
    const status = this.rng.pick(ITEM_STATUSES.filter((s) => s !== item.status));
    item.status = status;
    item.updated_at = t;
    if (status === 'canceled') item.canceled_at = t;
    if (status === 'ended') item.ended_at = t;
    if (status === 'past_due') item.past_due_at = t;
    return this.#change('update', 'subscriptionItems', item.id, [this.#event(ITEM_EVENT[status], t, item)]);
  }

  /** Gone from its list with no webhook (Clerk sends none for these). */
  remove(resource: 'invitations' | 'waitlistEntries' | 'subscriptionItems', object: ApiObject): WorldChange {
    this.#drop(resource, object);
    return this.#change('remove', resource, object.id, []);
  }

  /** The webhook shape of a subscription item the stand-in holds in the Backend API's shape. */
  webhookSubscriptionItem(item: ApiObject): ApiObject {
    const { plan, plan_period, price_id: _price, instance_id: _instance, payer_id: _payer, ...rest } = clone(item);
    return {
      ...rest,
      interval: plan_period,
      plan: plan && { id: plan.id, slug: plan.slug, name: plan.name, is_recurring: plan.is_recurring, amount: plan.fee?.amount ?? 0, currency: plan.fee?.currency ?? 'USD' },
      subscription_id: this.#subscriptionOf.get(item.id) ?? null,
    };
  }

  // ---- helpers

  #event(type: ClerkEventType, timestamp: number, object: ApiObject): ClerkEnvelope {
    const data = type.startsWith('subscriptionItem.') ? this.webhookSubscriptionItem(object) : clone(object);
    return { object: 'event', type, timestamp, instance_id: this.api.instanceId, data };
  }

  #change(kind: ChangeKind, resource: MockResource, id: string, events: ClerkEnvelope[]): WorldChange {
    return { kind, resource, id, events };
  }

  #with<T>(objects: ApiObject[], fn: (o: ApiObject) => T): T | null {
    return objects.length ? fn(this.rng.pick(objects)) : null;
  }

  #drop(resource: MockResource, object: ApiObject): void {
    const list = this.api[resource];
    const at = list.indexOf(object);
    if (at >= 0) list.splice(at, 1);
  }

  #pickResource(): MockResource {
    const entries = Object.entries(WEIGHTS) as Array<[MockResource, number]>;
    let r = this.rng.int(entries.reduce((s, [, w]) => s + w, 0));
    for (const [resource, w] of entries) if ((r -= w) < 0) return resource;
    return entries[0]![0];
  }

  #name(): number {
    return ++this.#names;
  }

  #members(orgId: string): number {
    return this.api.memberships.filter((m) => m.organization.id === orgId).length;
  }

  #somePermissions(): ApiObject[] {
    return this.api.permissions.filter(() => this.rng.chance(0.35)).map(clone);
  }

  #freePair(): { org: ApiObject; user: ApiObject } | null {
    const { organizations, users, memberships } = this.api;
    if (organizations.length === 0 || users.length === 0) return null;
    const taken = new Set(memberships.map((m) => `${m.organization.id}/${m.public_user_data?.user_id}`));
    for (let attempt = 0; attempt < 20; attempt++) {
      const org = this.rng.pick(organizations);
      const user = this.rng.pick(users);
      if (!taken.has(`${org.id}/${user.id}`)) return { org, user };
    }
    return null;
  }
}

/**
 * Whether a webhook of this world could still be delivered late (after a reconcile ran) without
 * making the local tables differ from Clerk for good: its object still exists in the stand-in,
 * and so does everything its payload brings along (a role's permissions). A late event about an
 * object that is gone (and whose deletion may never have been delivered, or has no event) would
 * create a row that no reconcile that already ran can know to remove.
 */
export function survives(api: MockClerkInstance, event: ClerkEnvelope): boolean {
  const id = event.data.id as string;
  const resource = resourceOfEvent(event.type);
  if (!resource || !api[resource].some((o) => o.id === id)) return false;
  if (resource === 'roles') {
    const permissions = new Set(api.permissions.map((p) => p.id));
    return (event.data.permissions ?? []).every((p: ApiObject) => permissions.has(p.id));
  }
  return true;
}

const EVENT_RESOURCES: Record<string, MockResource> = {
  user: 'users',
  organization: 'organizations',
  organizationMembership: 'memberships',
  organizationInvitation: 'organizationInvitations',
  organizationDomain: 'organizationDomains',
  role: 'roles',
  permission: 'permissions',
  invitation: 'invitations',
  waitlistEntry: 'waitlistEntries',
  subscriptionItem: 'subscriptionItems',
};

export function resourceOfEvent(type: string): MockResource | null {
  return EVENT_RESOURCES[type.slice(0, type.indexOf('.'))] ?? null;
}

// ---- the view compared: the local tables against the stand-in

export interface Row {
  id: string;
  updated_at: number | null;
  [field: string]: string | number | null;
}

/** Per table, the rows not deleted, as `{id, updated_at, <the field the world changes>}`, sorted by id. */
export interface ClerkView {
  clerk_users: Row[];
  clerk_organizations: Row[];
  clerk_organization_memberships: Row[];
  clerk_organization_invitations: Row[];
  clerk_organization_domains: Row[];
  clerk_roles: Row[];
  clerk_permissions: Row[];
  /** Links of roles not deleted, sorted by role, then permission. */
  clerk_role_permissions: Array<{ role_id: string; permission_id: string }>;
  clerk_invitations: Row[];
  clerk_waitlist_entries: Row[];
  clerk_subscription_items: Row[];
}

type ViewTable = Exclude<keyof ClerkView, 'clerk_role_permissions'>;

/** Table, the stand-in's resource, and the field the world changes. */
export const VIEW_TABLES: ReadonlyArray<[table: ViewTable, resource: MockResource, field: string]> = [
  ['clerk_users', 'users', 'first_name'],
  ['clerk_organizations', 'organizations', 'name'],
  ['clerk_organization_memberships', 'memberships', 'role'],
  ['clerk_organization_invitations', 'organizationInvitations', 'status'],
  ['clerk_organization_domains', 'organizationDomains', 'enrollment_mode'],
  ['clerk_roles', 'roles', 'name'],
  ['clerk_permissions', 'permissions', 'name'],
  ['clerk_invitations', 'invitations', 'status'],
  ['clerk_waitlist_entries', 'waitlistEntries', 'status'],
  ['clerk_subscription_items', 'subscriptionItems', 'status'],
];

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byLink = (a: { role_id: string; permission_id: string }, b: { role_id: string; permission_id: string }) =>
  a.role_id < b.role_id ? -1 : a.role_id > b.role_id ? 1 : a.permission_id < b.permission_id ? -1 : a.permission_id > b.permission_id ? 1 : 0;

/** What the local tables should hold once in sync with the stand-in: everything it lists. */
export function expectedView(api: MockClerkInstance): ClerkView {
  const view = {} as ClerkView;
  for (const [table, resource, field] of VIEW_TABLES) {
    view[table] = api[resource].map((o) => ({ id: o.id, updated_at: o.updated_at ?? null, [field]: o[field] ?? null }) as Row).sort(byId);
  }
  view.clerk_role_permissions = api.roles.flatMap((r) => (r.permissions ?? []).map((p: ApiObject) => ({ role_id: r.id, permission_id: p.id }))).sort(byLink);
  return view;
}

/**
 * The local tables in the same view: rows whose `deleted_at` is null (sorted here, not by the
 * database, whose collation may differ), and the permission links of roles not deleted.
 * `instanceId`: only rows of that instance.
 */
export async function localView(db: Kysely<ClerkSyncDatabase>, options: { instanceId?: string } = {}): Promise<ClerkView> {
  const view = {} as ClerkView;
  for (const [table, , field] of VIEW_TABLES) {
    let query = (db as Kysely<any>).selectFrom(table).select(['id', 'updated_at', field]).where('deleted_at', 'is', null);
    if (options.instanceId) query = query.where('instance_id', '=', options.instanceId);
    const rows = (await query.execute()) as Array<Record<string, unknown>>;
    view[table] = rows
      .map((r) => ({ id: String(r.id), updated_at: r.updated_at === null ? null : Number(r.updated_at), [field]: (r[field] as string | null) ?? null }) as Row)
      .sort(byId);
  }
  let links = db
    .selectFrom('clerk_role_permissions')
    .innerJoin('clerk_roles', 'clerk_roles.id', 'clerk_role_permissions.role_id')
    .select(['clerk_role_permissions.role_id', 'clerk_role_permissions.permission_id'])
    .where('clerk_roles.deleted_at', 'is', null);
  if (options.instanceId) links = links.where('clerk_roles.instance_id', '=', options.instanceId);
  view.clerk_role_permissions = (await links.execute()).map((l) => ({ role_id: l.role_id, permission_id: l.permission_id })).sort(byLink);
  return view;
}

export interface TableDiff {
  /** Rows only the local tables have (not deleted there, gone from Clerk). */
  onlyLocal: unknown[];
  /** Rows only Clerk lists. */
  onlyClerk: unknown[];
  /** Same id, different values. */
  differ: Array<{ local: unknown; clerk: unknown }>;
}

/** Where two views differ, per table (tables that agree are left out): readable where a deepEqual of hundreds of rows is not. */
export function diffViews(local: ClerkView, clerk: ClerkView): Partial<Record<keyof ClerkView, TableDiff>> {
  const out: Partial<Record<keyof ClerkView, TableDiff>> = {};
  for (const table of Object.keys(clerk) as Array<keyof ClerkView>) {
    const key = (r: any) => (table === 'clerk_role_permissions' ? `${r.role_id}/${r.permission_id}` : r.id);
    const mine = new Map<string, unknown>(local[table].map((r) => [key(r), r]));
    const theirs = new Map<string, unknown>(clerk[table].map((r) => [key(r), r]));
    const diff: TableDiff = { onlyLocal: [], onlyClerk: [], differ: [] };
    for (const [k, r] of mine) if (!theirs.has(k)) diff.onlyLocal.push(r);
    for (const [k, r] of theirs) {
      if (!mine.has(k)) diff.onlyClerk.push(r);
      else if (JSON.stringify(mine.get(k)) !== JSON.stringify(r)) diff.differ.push({ local: mine.get(k), clerk: r });
    }
    if (diff.onlyLocal.length || diff.onlyClerk.length || diff.differ.length) out[table] = diff;
  }
  return out;
}
