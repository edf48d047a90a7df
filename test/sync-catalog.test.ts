import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES, type ClerkEventOf, type ClerkEventType } from '../src/events/catalog.js';
import { eventFixture, freshId } from '../src/events/fixtures.js';
import type { ClerkSyncDatabase } from '../src/store/schema.js';
import { testDialects } from './support/db.js';
import { asBool, asJson, waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';

type Table = keyof ClerkSyncDatabase;
// Events are edited freely below (drift, ordering); the catalog types only describe what Clerk documents.
type AnyEvent = { type: string; timestamp: number; instance_id?: string; data: any };

for (const dialect of testDialects()) describe(`sync of the whole event catalog [${dialect}]`, () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ dialect, worker: { pollIntervalMs: 20 } });
  });
  after(() => svc.close());

  const db = () => svc.sync.database.db;

  /** Sends each event (in order) and waits until it is applied; a failed event fails the test with its error. */
  async function deliver(...events: AnyEvent[]): Promise<void> {
    for (const e of events) {
      const res = await svc.send(e);
      assert.equal(res.status, 200);
      await awaitDone(res.id);
    }
  }

  /** Sends events that do not depend on each other without waiting in between, then waits for all. */
  async function deliverAll(events: AnyEvent[]): Promise<void> {
    const ids: string[] = [];
    for (const e of events) {
      const res = await svc.send(e);
      assert.equal(res.status, 200);
      ids.push(res.id);
    }
    for (const id of ids) await awaitDone(id);
  }

  async function awaitDone(svixId: string): Promise<void> {
    await waitFor(async () => {
      const r = await db().selectFrom('clerk_webhook_events').select(['status', 'last_error', 'type']).where('svix_id', '=', svixId).executeTakeFirst();
      if (r?.status === 'failed' || r?.status === 'dead') assert.fail(`${r.type} (${svixId}) failed: ${r.last_error}`);
      return r?.status === 'done';
    }, { intervalMs: 5, what: `processing of ${svixId}` });
  }

  async function row(table: Table, id: string): Promise<Record<string, any>> {
    const r = await db().selectFrom(table).selectAll().where('id' as any, '=', id).executeTakeFirst();
    assert.ok(r, `${table} has a row ${id}`);
    return r as Record<string, any>;
  }

  async function rows(table: Table, column: string, value: string): Promise<Record<string, any>[]> {
    return (await db().selectFrom(table).selectAll().where(column as any, '=', value).execute()) as Record<string, any>[];
  }

  const fixture = <T extends ClerkEventType>(type: T, ids?: Map<string, string>, now?: number) => eventFixture(type, { ids, now }) as ClerkEventOf<T> & AnyEvent;

  // ---------------------------------------------------------------------------------------------
  // One test per event type: the spec's example, checked column by column where it matters.

  async function checkUser(d: any, e: AnyEvent) {
    const u = await row('clerk_users', d.id);
    assert.equal(u.first_name, d.first_name);
    assert.equal(u.last_name, d.last_name);
    assert.equal(u.username, d.username);
    assert.equal(u.primary_email_address, 'john.doe@acme.com');
    assert.equal(asBool(u.banned), false);
    assert.equal(asBool(u.locked), false);
    assert.equal(u.last_sign_in_at, d.last_sign_in_at);
    assert.equal(u.updated_at, d.updated_at);
    assert.equal(u.instance_id, e.instance_id);
    assert.deepEqual(asJson(u.public_metadata), d.public_metadata);
    const emails = await rows('clerk_user_email_addresses', 'user_id', d.id);
    assert.equal(emails.length, 1);
    assert.equal(emails[0]!.id, d.email_addresses[0].id);
    assert.equal(emails[0]!.email_address, 'john.doe@acme.com');
    assert.equal(asBool(emails[0]!.is_primary), true);
    assert.equal(emails[0]!.verification_status, 'verified');
    assert.equal(emails[0]!.verification_strategy, 'email_code');
    assert.equal(emails[0]!.instance_id, e.instance_id);
    assert.equal(asJson(emails[0]!.payload).email_address, 'john.doe@acme.com');
  }

  async function checkSession(e: AnyEvent) {
    const d = e.data;
    const s = await row('clerk_sessions', d.id);
    assert.equal(s.status, d.status);
    assert.equal(s.user_id, d.user_id);
    assert.equal(s.client_id, d.client_id);
    assert.equal(s.last_active_at, d.last_active_at);
    assert.equal(s.expire_at, d.expire_at);
    assert.equal(s.abandon_at, d.abandon_at);
    assert.equal(s.deleted_at, null);
    const payload = asJson(s.payload);
    assert.equal(payload.id, d.id);
    assert.equal(payload.user, undefined, 'the user is in clerk_users, not repeated in the session payload');
    await checkUser(d.user, e);
  }

  async function checkSubscription(e: AnyEvent) {
    const d = e.data;
    const s = await row('clerk_subscriptions', d.id);
    assert.equal(s.status, d.status);
    assert.equal(s.payer_id, d.payer_id);
    assert.equal(s.payer_user_id, d.payer.user_id);
    assert.equal(s.payer_organization_id, null, 'an empty organization_id means a user payer');
    assert.equal(s.past_due_at, d.past_due_at);
    assert.equal(s.latest_payment_id, d.latest_payment_id);
    const item = await row('clerk_subscription_items', d.items[0].id);
    assert.equal(item.subscription_id, d.id, 'an item inside a subscription belongs to it');
    assert.equal(item.status, d.items[0].status);
    assert.equal(item.plan_slug, 'pro-plan');
    assert.equal(item.plan_amount, 2000);
    assert.equal(item.payer_user_id, d.payer.user_id, "an item inside a subscription has the subscription's payer");
  }

  async function checkSubscriptionItem(e: AnyEvent, status: string) {
    const d = e.data;
    const item = await row('clerk_subscription_items', d.id);
    assert.equal(item.status, status);
    assert.equal(item.subscription_id, d.subscription_id);
    assert.equal(item.plan_id, d.plan_id);
    assert.equal(item.plan_name, d.plan.name);
    assert.equal(item.plan_slug, d.plan.slug);
    assert.equal(item.plan_amount, d.plan.amount);
    assert.equal(item.plan_currency, 'USD');
    assert.equal(item.payer_user_id, d.payer.user_id);
    assert.equal(item.payer_organization_id, null);
    assert.equal(item.period_start, d.period_start);
    assert.equal(item.period_end, d.period_end);
    assert.equal(asBool(item.is_free_trial), d.is_free_trial);
  }

  async function checkPaymentAttempt(e: AnyEvent) {
    const d = e.data;
    const p = await row('clerk_payment_attempts', d.id);
    assert.equal(p.status, d.status);
    assert.equal(p.amount, 2200);
    assert.equal(p.currency, 'USD');
    assert.equal(p.payer_user_id, d.payer.user_id);
    assert.equal(p.payer_organization_id, null);
    assert.equal(p.paid_at, d.paid_at);
    assert.equal(p.failed_at, null);
    assert.equal(p.payment_id, d.payment_id);
    assert.equal(p.statement_id, d.statement_id);
    assert.deepEqual(asJson(p.subscription_item_ids), [d.subscription_items[0].id]);
  }

  async function checkRole(e: AnyEvent) {
    const d = e.data;
    const r = await row('clerk_roles', d.id);
    assert.equal(r.key, d.key);
    assert.equal(r.name, d.name);
    assert.equal(r.description, d.description);
    assert.equal(asBool(r.is_creator_eligible), false);
    const links = await rows('clerk_role_permissions', 'role_id', d.id);
    assert.deepEqual(links.map((l) => l.permission_id).sort(), d.permissions.map((p: any) => p.id).sort());
    for (const p of d.permissions) assert.equal((await row('clerk_permissions', p.id)).key, p.key, 'listed permissions are synced too');
  }

  async function checkOrgInvitation(e: AnyEvent, status: string) {
    const d = e.data;
    const i = await row('clerk_organization_invitations', d.id);
    assert.equal(i.status, status);
    assert.equal(i.organization_id, d.organization_id);
    assert.equal(i.email_address, 'jane.doe@acme.com');
    assert.equal(i.role, 'org:member');
    assert.equal(i.expires_at, d.expires_at);
    assert.equal(i.user_id, d.user_id ?? null);
    assert.equal(i.deleted_at, null);
  }

  async function checkInvitation(e: AnyEvent) {
    const d = e.data;
    const i = await row('clerk_invitations', d.id);
    assert.equal(i.status, d.status);
    assert.equal(i.email_address, d.email_address);
    assert.equal(asBool(i.revoked), d.revoked);
    assert.equal(i.url, d.url);
    assert.equal(i.expires_at, d.expires_at);
  }

  async function checkMembership(e: AnyEvent) {
    const d = e.data;
    const m = await row('clerk_organization_memberships', d.id);
    assert.equal(m.organization_id, d.organization.id);
    assert.equal(m.user_id, d.public_user_data.user_id);
    assert.equal(m.role, d.role);
    assert.deepEqual(asJson(m.permissions), d.permissions);
    return m;
  }

  const CHECKS: { [T in ClerkEventType]: (e: ClerkEventOf<T> & AnyEvent) => Promise<void> } = {
    'email.created': async (e) => {
      const d = e.data;
      const m = await row('clerk_emails', d.id);
      for (const k of ['to_email_address', 'from_email_name', 'subject', 'slug', 'status', 'user_id', 'email_address_id', 'body', 'body_plain'] as const) assert.equal(m[k], d[k], k);
      assert.equal(asBool(m.delivered_by_clerk), true);
      assert.equal(asJson(m.data).otp_code, '123456');
      assert.equal(m.created_at, e.timestamp);
      assert.equal(m.instance_id, e.instance_id);
      assert.equal(asJson(m.payload).subject, d.subject);
    },
    'invitation.created': checkInvitation,
    'invitation.accepted': checkInvitation,
    'invitation.revoked': checkInvitation,
    'organization.created': async (e) => {
      const o = await row('clerk_organizations', e.data.id);
      assert.equal(o.name, 'Acme Corp');
      assert.equal(o.slug, 'acme-corp');
      assert.equal(o.members_count, 1);
      assert.equal(asBool(o.admin_delete_enabled), true);
      assert.equal(o.deleted_at, null);
    },
    'organization.updated': async (e) => {
      const o = await row('clerk_organizations', e.data.id);
      assert.equal(o.name, 'Acme Corp Updated');
      assert.deepEqual(asJson(o.private_metadata), { internal_id: 'ORG-123' });
    },
    'organization.deleted': async (e) => {
      const o = await row('clerk_organizations', e.data.id);
      assert.equal(o.deleted_at, e.timestamp);
      assert.equal(o.slug, 'acme-corp');
    },
    'organizationDomain.created': async (e) => {
      const o = await row('clerk_organization_domains', e.data.id);
      assert.equal(o.organization_id, e.data.organization_id);
      assert.equal(o.name, 'acme.com');
      assert.equal(o.enrollment_mode, 'automatic_invitation');
      assert.equal(o.affiliation_email_address, 'admin@acme.com');
      assert.equal(o.verification_status, null);
      assert.equal(o.total_pending_suggestions, 2);
      assert.equal(o.deleted_at, null);
    },
    'organizationDomain.updated': async (e) => {
      const o = await row('clerk_organization_domains', e.data.id);
      assert.equal(o.enrollment_mode, 'automatic_suggestion');
      assert.equal(o.verification_status, 'verified');
      assert.equal(o.verification_strategy, 'email_code');
      assert.equal(o.ownership_verification_status, null);
      assert.equal(o.total_pending_invitations, 2);
    },
    'organizationDomain.deleted': async (e) => {
      assert.equal((await row('clerk_organization_domains', e.data.id)).deleted_at, e.timestamp);
    },
    'organizationInvitation.created': (e) => checkOrgInvitation(e, 'pending'),
    'organizationInvitation.accepted': (e) => checkOrgInvitation(e, 'accepted'),
    'organizationInvitation.revoked': (e) => checkOrgInvitation(e, 'revoked'),
    'organizationMembership.created': async (e) => {
      assert.equal((await checkMembership(e)).deleted_at, null);
    },
    'organizationMembership.updated': async (e) => {
      const m = await checkMembership(e);
      assert.equal(m.role, 'org:admin');
      assert.equal(m.deleted_at, null);
    },
    'organizationMembership.deleted': async (e) => {
      assert.equal((await checkMembership(e)).deleted_at, e.timestamp);
    },
    'paymentAttempt.created': checkPaymentAttempt,
    'paymentAttempt.updated': checkPaymentAttempt,
    'permission.created': async (e) => {
      const p = await row('clerk_permissions', e.data.id);
      assert.equal(p.key, 'org:posts:create');
      assert.equal(p.name, 'Create Posts');
      assert.equal(p.type, 'custom');
    },
    'permission.updated': async (e) => {
      assert.equal((await row('clerk_permissions', e.data.id)).name, 'Create and Edit Posts');
    },
    'permission.deleted': async (e) => {
      assert.equal((await row('clerk_permissions', e.data.id)).deleted_at, e.timestamp);
    },
    'role.created': checkRole,
    'role.updated': checkRole,
    'role.deleted': async (e) => {
      assert.equal((await row('clerk_roles', e.data.id)).deleted_at, e.timestamp);
    },
    'session.created': checkSession,
    'session.pending': checkSession,
    'session.updated': checkSession,
    'session.ended': checkSession,
    'session.removed': checkSession,
    'session.revoked': checkSession,
    'sms.created': async (e) => {
      const d = e.data;
      const m = await row('clerk_sms_messages', d.id);
      for (const k of ['to_phone_number', 'from_phone_number', 'message', 'slug', 'status', 'user_id', 'phone_number_id'] as const) assert.equal(m[k], d[k], k);
      assert.equal(asBool(m.delivered_by_clerk), true);
      assert.equal(m.created_at, d.created_at_ms);
    },
    'subscription.created': checkSubscription,
    'subscription.updated': checkSubscription,
    'subscription.active': checkSubscription,
    'subscription.pastDue': checkSubscription,
    'subscriptionItem.abandoned': (e) => checkSubscriptionItem(e, 'abandoned'),
    'subscriptionItem.active': (e) => checkSubscriptionItem(e, 'active'),
    'subscriptionItem.canceled': (e) => checkSubscriptionItem(e, 'canceled'),
    'subscriptionItem.ended': (e) => checkSubscriptionItem(e, 'ended'),
    'subscriptionItem.freeTrialEnding': (e) => checkSubscriptionItem(e, 'active'),
    'subscriptionItem.incomplete': (e) => checkSubscriptionItem(e, 'incomplete'),
    'subscriptionItem.pastDue': (e) => checkSubscriptionItem(e, 'past_due'),
    'subscriptionItem.upcoming': (e) => checkSubscriptionItem(e, 'upcoming'),
    'subscriptionItem.updated': (e) => checkSubscriptionItem(e, 'active'),
    'user.created': (e) => checkUser(e.data, e),
    'user.updated': (e) => checkUser(e.data, e),
    'user.deleted': async (e) => {
      const u = await row('clerk_users', e.data.id);
      assert.equal(u.deleted_at, e.timestamp);
      assert.equal(u.external_id, e.data.external_id);
    },
    'waitlistEntry.created': async (e) => {
      const w = await row('clerk_waitlist_entries', e.data.id);
      assert.equal(w.email_address, 'john.doe@example.com');
      assert.equal(w.status, 'pending');
      assert.equal(asBool(w.is_locked), false);
      assert.equal(w.invitation_id, null);
    },
    'waitlistEntry.updated': async (e) => {
      const w = await row('clerk_waitlist_entries', e.data.id);
      assert.equal(w.status, 'invited');
      assert.equal(w.invitation_id, e.data.invitation?.id);
    },
  };

  describe('each event type, from the spec example', () => {
    for (const type of EVENT_TYPES) {
      it(type, async () => {
        const e = fixture(type);
        await deliver(e);
        await (CHECKS[type] as (e: AnyEvent) => Promise<void>)(e);
      });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Ordering: for each kind, the newer event wins whatever the delivery order.

  /** [type of both events, table, column that differs, value in the older event, value in the newer one] */
  const VERSIONED: Array<[ClerkEventType, Table, string, unknown, unknown]> = [
    ['user.updated', 'clerk_users', 'first_name', 'Old', 'New'],
    ['organization.updated', 'clerk_organizations', 'name', 'Old', 'New'],
    ['organizationMembership.updated', 'clerk_organization_memberships', 'role', 'org:member', 'org:admin'],
    ['organizationInvitation.created', 'clerk_organization_invitations', 'role', 'org:member', 'org:admin'],
    ['organizationDomain.updated', 'clerk_organization_domains', 'enrollment_mode', 'manual_invitation', 'automatic_suggestion'],
    ['role.updated', 'clerk_roles', 'name', 'Old', 'New'],
    ['permission.updated', 'clerk_permissions', 'name', 'Old', 'New'],
    ['invitation.created', 'clerk_invitations', 'url', 'https://old.example', 'https://new.example'],
    ['waitlistEntry.updated', 'clerk_waitlist_entries', 'status', 'pending', 'invited'],
    ['session.updated', 'clerk_sessions', 'last_active_at', 1_000_000, 2_000_000],
    ['subscription.updated', 'clerk_subscriptions', 'status', 'active', 'past_due'],
    ['subscriptionItem.updated', 'clerk_subscription_items', 'status', 'active', 'canceled'],
    ['paymentAttempt.updated', 'clerk_payment_attempts', 'status', 'pending', 'paid'],
  ];

  describe('newer wins, whatever the delivery order', () => {
    for (const [type, table, column, olderValue, newerValue] of VERSIONED) {
      it(`${type}: a stale event never overwrites newer data; a replay changes nothing`, async () => {
        const ids = new Map<string, string>();
        const older = fixture(type, ids);
        const newer = fixture(type, ids);
        older.data.updated_at = 1_700_000_000_000;
        newer.data.updated_at = 1_700_000_005_000;
        older.data[column] = olderValue;
        newer.data[column] = newerValue;
        await deliver(newer, older);
        const stored = await row(table, newer.data.id);
        assert.equal(stored[column], newerValue);
        assert.equal(stored.updated_at, 1_700_000_005_000);
        await deliver(newer, older);
        assert.deepEqual(await row(table, newer.data.id), stored);
      });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Deletion: terminal, and cascading.

  describe('deletion is terminal', () => {
    const KINDS: Array<[ClerkEventType, ClerkEventType, Table]> = [
      ['organization.created', 'organization.deleted', 'clerk_organizations'],
      ['organizationDomain.created', 'organizationDomain.deleted', 'clerk_organization_domains'],
      ['role.created', 'role.deleted', 'clerk_roles'],
      ['permission.created', 'permission.deleted', 'clerk_permissions'],
    ];
    for (const [create, remove, table] of KINDS) {
      it(`${remove}: a late or replayed ${create} does not bring it back`, async () => {
        const ids = new Map<string, string>();
        const created = fixture(create, ids);
        const deleted = fixture(remove, ids);
        deleted.data.id = created.data.id;
        const late = fixture(create, ids);
        late.data.updated_at = Date.now() + 3_600_000;
        late.data.name = 'Zombie';
        await deliver(deleted, created, late);
        const stored = await row(table, created.data.id);
        assert.equal(stored.deleted_at, deleted.timestamp);
        assert.notEqual(stored.name, 'Zombie');
        await deliver(deleted);
        assert.equal((await row(table, created.data.id)).deleted_at, deleted.timestamp, 'the first deletion time stays');
      });
    }
  });

  it('organization.deleted ends its memberships, invitations and domains; ones arriving later arrive ended', async () => {
    const ids = new Map<string, string>();
    const org = fixture('organization.created', ids);
    const membership = fixture('organizationMembership.created', ids);
    const invitation = fixture('organizationInvitation.created', ids);
    const domain = fixture('organizationDomain.created', ids);
    await deliver(org, membership, invitation, domain);
    for (const [table, id] of [['clerk_organization_memberships', membership.data.id], ['clerk_organization_invitations', invitation.data.id], ['clerk_organization_domains', domain.data.id]] as const) {
      assert.equal((await row(table, id)).deleted_at, null);
    }
    const deleted = fixture('organization.deleted', ids);
    await deliver(deleted);
    for (const [table, id] of [['clerk_organization_memberships', membership.data.id], ['clerk_organization_invitations', invitation.data.id], ['clerk_organization_domains', domain.data.id]] as const) {
      assert.equal((await row(table, id)).deleted_at, deleted.timestamp, `${table} ended`);
    }

    // Late children of the deleted organization: new ids, same organization.
    const lateIds = new Map([['org_2g7np7Hrk0SN6kj5EDMLDaKNL0S', org.data.id]]);
    const lateMembership = fixture('organizationMembership.created', lateIds);
    const lateInvitation = fixture('organizationInvitation.accepted', lateIds);
    const lateDomain = fixture('organizationDomain.updated', lateIds);
    const newerMembership = fixture('organizationMembership.updated', ids);
    newerMembership.data.updated_at = Date.now() + 3_600_000;
    await deliver(lateMembership, lateInvitation, lateDomain, newerMembership);
    assert.equal(lateMembership.data.organization.id, org.data.id);
    for (const [table, id] of [['clerk_organization_memberships', lateMembership.data.id], ['clerk_organization_invitations', lateInvitation.data.id], ['clerk_organization_domains', lateDomain.data.id]] as const) {
      assert.equal((await row(table, id)).deleted_at, deleted.timestamp, `late ${table} arrives ended`);
    }
    const ended = await row('clerk_organization_memberships', membership.data.id);
    assert.equal(ended.role, 'org:member', 'an ended membership is not updated by a later event');

    // An invitation is never deleted on its own, only ended with its organization: a newer status
    // still applies, so it ends `accepted` whether that came before or after the deletion.
    const accepted = fixture('organizationInvitation.accepted', ids);
    accepted.data.id = invitation.data.id;
    accepted.data.organization_id = org.data.id;
    accepted.data.updated_at = Date.now() + 3_600_000;
    await deliver(accepted);
    const invitationRow = await row('clerk_organization_invitations', invitation.data.id);
    assert.equal(invitationRow.status, 'accepted');
    assert.equal(invitationRow.deleted_at, deleted.timestamp, 'still ended, at the first deletion time');
  });

  /** A user with two emails, a phone, an external account and a wallet; ids shared through `ids`. */
  function richUser(ids: Map<string, string>, updatedAt: number) {
    const e = fixture('user.updated', ids, updatedAt);
    const base = e.data.email_addresses[0]!;
    e.data.email_addresses = [base, { ...base, id: freshId('idn'), email_address: 'second@example.com' }];
    e.data.phone_numbers = [{ id: freshId('idn'), object: 'phone_number', phone_number: '+15555550100', reserved: false, verification: { status: 'verified', strategy: 'phone_code', attempts: 1, expire_at: null }, linked_to: [], created_at: updatedAt, updated_at: updatedAt }];
    e.data.primary_phone_number_id = e.data.phone_numbers[0]!.id!;
    e.data.external_accounts = [{
      object: 'google_account', id: freshId('eac'), provider: 'oauth_google', identification_id: freshId('idn'), provider_user_id: '1234567890',
      approved_scopes: 'email profile', email_address: 'john.doe@gmail.com', first_name: 'John', last_name: 'Doe', public_metadata: {},
      created_at: updatedAt, updated_at: updatedAt, verification: { status: 'verified', strategy: 'oauth_google', expire_at: updatedAt, attempts: null },
    }];
    e.data.web3_wallets = [{ id: freshId('idn'), object: 'web3_wallet', web3_wallet: '0x0000000000000000000000000000000000000001', verification: null, created_at: updatedAt, updated_at: updatedAt }];
    return e;
  }

  async function children(userId: string) {
    return {
      emails: (await rows('clerk_user_email_addresses', 'user_id', userId)).map((r) => r.email_address).sort(),
      phones: (await rows('clerk_user_phone_numbers', 'user_id', userId)).map((r) => r.phone_number),
      accounts: (await rows('clerk_user_external_accounts', 'user_id', userId)).map((r) => `${r.provider}:${r.provider_user_id}:${r.email_address}`),
      wallets: (await rows('clerk_user_web3_wallets', 'user_id', userId)).map((r) => r.web3_wallet),
    };
  }

  it("user.deleted erases the user and their child rows, and ends memberships, sessions and accepted invitations; late events do not bring anything back", async () => {
    const ids = new Map<string, string>();
    const now = Date.now();
    const u = richUser(ids, now - 10_000); // newer than the users inside the session events below
    const userId = u.data.id;
    const exampleUserId = [...ids].find(([, v]) => v === userId)![0];
    const membership = fixture('organizationMembership.created', new Map([['user_2h8op3Isl1QR7tKu5FGNfaLKEoU', userId]]));
    const invitation = fixture('organizationInvitation.accepted', new Map([['user_2h8op3Isl1QR7tKu5FGNfaLKEoU', userId]]));
    const active = fixture('session.created', ids, now - 30_000);
    const revokedIds = new Map([[exampleUserId, userId]]);
    const revoked = fixture('session.revoked', revokedIds, now - 20_000);
    const email = fixture('email.created', ids);
    const sms = fixture('sms.created', ids);
    await deliver(u, membership, invitation, active, revoked, email, sms);
    assert.equal((await children(userId)).emails.length, 2);
    assert.equal((await row('clerk_sessions', active.data.id)).status, 'active');

    const deleted = fixture('user.deleted', ids);
    assert.equal(deleted.data.id, userId);
    await deliver(deleted);

    const erased = await row('clerk_users', userId);
    assert.equal(erased.deleted_at, deleted.timestamp);
    for (const c of ['first_name', 'last_name', 'primary_email_address', 'primary_phone_number', 'primary_web3_wallet', 'image_url', 'public_metadata', 'payload']) assert.equal(erased[c], null, `${c} erased`);
    assert.deepEqual(await children(userId), { emails: [], phones: [], accounts: [], wallets: [] });
    assert.equal((await row('clerk_organization_memberships', membership.data.id)).deleted_at, deleted.timestamp);
    assert.equal((await row('clerk_organization_invitations', invitation.data.id)).deleted_at, deleted.timestamp);
    const endedSession = await row('clerk_sessions', active.data.id);
    assert.equal(endedSession.status, 'ended');
    assert.equal(endedSession.deleted_at, deleted.timestamp);
    assert.equal(endedSession.payload, null, 'session payload (client IP, location) erased');
    assert.equal((await row('clerk_sessions', revoked.data.id)).status, 'revoked', 'a final status stays as it was');
    assert.equal((await rows('clerk_emails', 'user_id', userId)).length, 0);
    assert.equal((await rows('clerk_sms_messages', 'user_id', userId)).length, 0);

    // Everything arriving after the deletion: newer user data, a new session, an update of the
    // active session, a membership, an accepted invitation, messages.
    const lateUser = richUser(ids, now + 3_600_000);
    const lateSession = fixture('session.created', new Map([[exampleUserId, userId]]), now + 3_600_000);
    lateSession.data.user.updated_at = now + 3_600_000;
    const lateUpdate = fixture('session.updated', ids, now + 3_600_000);
    const lateMembership = fixture('organizationMembership.created', new Map([['user_2h8op3Isl1QR7tKu5FGNfaLKEoU', userId]]));
    const lateInvitation = fixture('organizationInvitation.accepted', new Map([['user_2h8op3Isl1QR7tKu5FGNfaLKEoU', userId]]));
    const lateEmail = fixture('email.created', new Map([[exampleUserId, userId]]));
    await deliver(lateUser, lateSession, lateUpdate, lateMembership, lateInvitation, lateEmail);
    assert.deepEqual(await row('clerk_users', userId), erased, 'nothing brings the user back');
    assert.deepEqual(await children(userId), { emails: [], phones: [], accounts: [], wallets: [] });
    for (const id of [lateSession.data.id, active.data.id]) {
      const s = await row('clerk_sessions', id);
      assert.equal(s.status, 'ended', 'a session of a deleted user is never active');
      assert.equal(s.deleted_at, deleted.timestamp);
      assert.equal(s.payload, null);
    }
    assert.equal((await row('clerk_organization_memberships', lateMembership.data.id)).deleted_at, deleted.timestamp);
    assert.equal((await row('clerk_organization_invitations', lateInvitation.data.id)).deleted_at, deleted.timestamp);
    assert.equal((await rows('clerk_emails', 'user_id', userId)).length, 0);
  });

  // ---------------------------------------------------------------------------------------------
  // Child tables of users.

  it("a user's child rows are replaced only by a newer user payload", async () => {
    const ids = new Map<string, string>();
    const now = Date.now();
    const v1 = fixture('user.created', ids, now - 2000);
    v1.data.email_addresses[0]!.email_address = 'v1@example.com';
    const v2 = richUser(ids, now - 1000);
    const v3 = fixture('user.updated', ids, now);
    v3.data.email_addresses = [v2.data.email_addresses[1]!];
    v3.data.primary_email_address_id = v3.data.email_addresses[0]!.id!;

    await deliver(v2, v1);
    assert.deepEqual(await children(v2.data.id), {
      emails: ['john.doe@acme.com', 'second@example.com'],
      phones: ['+15555550100'],
      accounts: ['oauth_google:1234567890:john.doe@gmail.com'],
      wallets: ['0x0000000000000000000000000000000000000001'],
    });
    const wallet = (await rows('clerk_user_web3_wallets', 'user_id', v2.data.id))[0]!;
    assert.equal(asBool(wallet.is_primary), false);
    assert.equal(wallet.verification_status, null);

    await deliver(v3, v2, v1);
    assert.deepEqual(await children(v3.data.id), { emails: ['second@example.com'], phones: [], accounts: [], wallets: [] });
    const [email] = await rows('clerk_user_email_addresses', 'user_id', v3.data.id);
    assert.equal(asBool(email!.is_primary), true);
    assert.equal((await row('clerk_users', v3.data.id)).primary_email_address, 'second@example.com');

    // A session carrying an older version of the user changes neither the user nor its children.
    const session = fixture('session.created', ids);
    session.data.user = v2.data as any;
    await deliver(session);
    assert.deepEqual(await children(v3.data.id), { emails: ['second@example.com'], phones: [], accounts: [], wallets: [] });
    // One carrying a newer version refreshes both.
    const newer = richUser(ids, now + 1000);
    session.data.user = newer.data as any;
    await deliver(session);
    assert.equal((await children(v3.data.id)).emails.length, 2);
  });

  // ---------------------------------------------------------------------------------------------
  // Status transitions.

  it('a session that ended, was revoked or removed never becomes active again', async () => {
    for (const final of ['session.ended', 'session.revoked', 'session.removed'] as const) {
      const ids = new Map<string, string>();
      const now = Date.now();
      const created = fixture('session.created', ids, now);
      const ended = fixture(final, ids, now);
      await deliver(ended, created);
      assert.equal((await row('clerk_sessions', created.data.id)).status, ended.data.status, `late session.created after ${final}, same updated_at`);
      const newerActive = fixture('session.updated', ids, now + 60_000);
      await deliver(newerActive);
      const s = await row('clerk_sessions', created.data.id);
      assert.equal(s.status, ended.data.status, `newer active session.updated after ${final}`);
      assert.equal(s.updated_at, now, 'and nothing else of it applied');
    }
    // Between final statuses, and between active and pending, the newer event wins.
    const ids = new Map<string, string>();
    const now = Date.now();
    const pending = fixture('session.pending', ids, now - 2000);
    const active = fixture('session.created', ids, now - 1000);
    const ended = fixture('session.ended', ids, now);
    const removed = fixture('session.removed', ids, now + 1000);
    await deliver(pending, active);
    assert.equal((await row('clerk_sessions', active.data.id)).status, 'active');
    await deliver(removed, ended);
    assert.equal((await row('clerk_sessions', active.data.id)).status, 'removed');
  });

  it('an accepted or revoked invitation never goes back to pending', async () => {
    for (const [created, final] of [
      ['organizationInvitation.created', 'organizationInvitation.accepted'],
      ['organizationInvitation.created', 'organizationInvitation.revoked'],
      ['invitation.created', 'invitation.accepted'],
      ['invitation.created', 'invitation.revoked'],
    ] as const) {
      const ids = new Map<string, string>();
      const now = Date.now();
      const pending = fixture(created, ids, now + 60_000); // even a pending one claiming to be newer
      const done = fixture(final, ids, now);
      await deliver(done, pending);
      const table = created.startsWith('organization') ? 'clerk_organization_invitations' : 'clerk_invitations';
      const stored = await row(table, done.data.id);
      assert.equal(stored.status, done.data.status, `${final} then a late ${created}`);
      assert.equal(stored.updated_at, now);
      if (final === 'organizationInvitation.accepted') assert.equal(stored.user_id, (done.data as any).user_id);
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Memberships: one active per organization and user, whatever the order.

  it('leaving and re-joining an organization, delivered in any order, leaves only the newest membership active', async () => {
    const orderings: Array<Array<'c1' | 'd1' | 'c2'>> = [['c1', 'd1', 'c2'], ['c2', 'c1', 'd1'], ['c2', 'd1', 'c1'], ['c1', 'c2', 'd1'], ['c2', 'c1'], ['c1', 'c2']];
    for (const order of orderings) {
      const now = Date.now();
      const ids = new Map<string, string>();
      const c1 = fixture('organizationMembership.created', ids, now - 10_000);
      const d1 = fixture('organizationMembership.deleted', ids, now - 5000);
      const c2 = fixture('organizationMembership.created', new Map([...ids].filter(([k]) => !k.startsWith('orgmem_'))), now);
      assert.notEqual(c1.data.id, c2.data.id);
      assert.equal(c1.data.organization.id, c2.data.organization.id);
      const events = { c1, d1, c2 };
      await deliver(...order.map((k) => events[k]));
      const first = await row('clerk_organization_memberships', c1.data.id);
      const second = await row('clerk_organization_memberships', c2.data.id);
      assert.ok(first.deleted_at !== null, `older membership ended (${order.join(', ')})`);
      assert.equal(second.deleted_at, null, `newer membership active (${order.join(', ')})`);
      const active = await db().selectFrom('clerk_organization_memberships').select('id')
        .where('organization_id', '=', c1.data.organization.id).where('user_id', '=', c1.data.public_user_data!.user_id).where('deleted_at', 'is', null).execute();
      assert.deepEqual(active.map((r) => r.id), [c2.data.id]);
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Roles and permissions.

  it('role permissions follow the newest role payload; a deleted permission is never linked again', async () => {
    const ids = new Map<string, string>();
    const now = Date.now();
    const created = fixture('role.created', ids, now - 2000);
    const updated = fixture('role.updated', ids, now);
    const [p1, p2] = updated.data.permissions;
    assert.equal(created.data.permissions[0]!.id, p1!.id);
    await deliver(created);
    const removed = fixture('permission.deleted', new Map([['perm_2g7np7Hrk0SN6kj5EDMLDaKNL0S', p1!.id]]));
    await deliver(removed);
    assert.deepEqual(await rows('clerk_role_permissions', 'role_id', created.data.id), []);
    await deliver(updated, created);
    assert.deepEqual((await rows('clerk_role_permissions', 'role_id', created.data.id)).map((l) => l.permission_id), [p2!.id]);
    assert.ok((await row('clerk_permissions', p1!.id)).deleted_at, 'the listed permission stays deleted');
    const roleDeleted = fixture('role.deleted', ids);
    await deliver(roleDeleted);
    assert.deepEqual(await rows('clerk_role_permissions', 'role_id', created.data.id), []);
  });

  it('billing: an organization payer, and subscription items keep their own newer state', async () => {
    const ids = new Map<string, string>();
    const now = Date.now();
    const sub = fixture('subscription.created', ids, now - 1000);
    sub.data.payer.user_id = '';
    sub.data.payer.organization_id = 'org_2g7np7Hrk0SN6kj5EDMLDaKNL0Q';
    const item = fixture('subscriptionItem.canceled', ids, now);
    await deliver(item, sub);
    const s = await row('clerk_subscriptions', sub.data.id);
    assert.equal(s.payer_user_id, null);
    assert.equal(s.payer_organization_id, 'org_2g7np7Hrk0SN6kj5EDMLDaKNL0Q');
    const i = await row('clerk_subscription_items', item.data.id);
    assert.equal(i.status, 'canceled', 'the older item inside the subscription event did not overwrite it');
    assert.equal(i.subscription_id, sub.data.id);
  });

  // ---------------------------------------------------------------------------------------------
  // Delivery: duplicates and replays.

  it('a duplicate (same svix-id) is stored once; a replay (new svix-id) changes nothing', async () => {
    const e = richUser(new Map(), Date.now());
    const first = await svc.send(e);
    await awaitDone(first.id);
    const before = { user: await row('clerk_users', e.data.id), children: await children(e.data.id) };
    const again = await svc.send(e, { id: first.id });
    assert.equal(again.status, 200);
    const stored = await db().selectFrom('clerk_webhook_events').select('svix_id').where('entity_id', '=', e.data.id).execute();
    assert.equal(stored.length, 1);
    await deliver(e, e);
    assert.deepEqual({ user: await row('clerk_users', e.data.id), children: await children(e.data.id) }, before);
  });

  // ---------------------------------------------------------------------------------------------
  // Payload drift.

  describe('payload drift: every event type syncs without error', () => {
    /** What a payload keeps to be usable at all: its id, and a membership's organization. */
    const keep = (type: string, d: any) => ({ id: d.id, object: d.object, ...(type.startsWith('organizationMembership.') ? { organization: { id: d.organization.id } } : {}) });

    it('with only the id (every optional field missing), no instance_id, unknown fields', async () => {
      for (const type of EVENT_TYPES) {
        const e = fixture(type) as AnyEvent;
        delete e.instance_id;
        e.data = { ...keep(type, e.data), field_clerk_added_later: { nested: [1, 2] } };
        await deliver(e);
      }
    });

    it('with every field null or of an unexpected type', async () => {
      const events: AnyEvent[] = [];
      for (const type of EVENT_TYPES) {
        for (const odd of [null, 'text', 42, [1], { a: 1 }]) {
          const e = fixture(type) as AnyEvent;
          const kept = keep(type, e.data);
          for (const k of Object.keys(e.data)) if (!(k in kept)) e.data[k] = odd;
          if (odd !== null && typeof odd === 'object' && !Array.isArray(odd) && 'user' in e.data) e.data.user = { id: freshId('user'), first_name: null };
          events.push(e);
        }
      }
      await deliverAll(events);
    });

    it('keeps unknown fields in the payload and reads null names as null', async () => {
      const e = fixture('session.created') as AnyEvent;
      e.data.user.first_name = null;
      e.data.user.email_addresses.push({ id: null, email_address: 'no-id@example.com' }, 'not-an-object');
      e.data.some_new_field = 'kept';
      await deliver(e);
      assert.equal(asJson((await row('clerk_sessions', e.data.id)).payload).some_new_field, 'kept');
      assert.equal((await row('clerk_users', e.data.user.id)).first_name, null);
      // An address without an id cannot be keyed (user_id, id) apart: the user's payload keeps it.
      assert.deepEqual((await children(e.data.user.id)).emails, ['john.doe@acme.com']);
      assert.ok(JSON.stringify(asJson((await row('clerk_users', e.data.user.id)).payload)).includes('no-id@example.com'));
    });
  });
});
