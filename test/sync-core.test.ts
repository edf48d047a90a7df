import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { asJson, waitFor } from './support/env.js';
import { testTargets } from './support/db.js';
import { startService, type TestService } from './support/service.js';

for (const dialect of testTargets()) describe(`sync of users, organizations and memberships [${dialect}]`, () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ dialect, worker: { pollIntervalMs: 20 } });
  });
  after(() => svc.close());

  const db = () => svc.sync.database.db;
  /** Sends events in the given order and waits until all are processed. */
  async function deliver(...events: object[]) {
    for (const e of events) {
      const res = await svc.send(e);
      assert.equal(res.status, 200);
      await waitFor(async () => {
        const r = await db().selectFrom('clerk_webhook_events').select('status').where('svix_id', '=', res.id).executeTakeFirst();
        return r?.status === 'done';
      }, { what: `processing of ${res.id}` });
    }
  }
  const user = (id: string) => db().selectFrom('clerk_users').selectAll().where('id', '=', id).executeTakeFirst();

  function userEvent(type: 'user.created' | 'user.updated', ids: Map<string, string>, updatedAt: number, firstName: string) {
    const e = eventFixture(type, { ids });
    e.data.updated_at = updatedAt;
    e.data.first_name = firstName;
    return e;
  }

  it('resolves the primary email through primary_email_address_id, not the first entry', async () => {
    const e = eventFixture('user.created');
    const primary = { ...e.data.email_addresses[0]!, id: 'idn_primary000000000000000001', email_address: 'primary@example.com' };
    const other = { ...e.data.email_addresses[0]!, id: 'idn_other00000000000000000001', email_address: 'other@example.com' };
    e.data.email_addresses = [other, primary];
    e.data.primary_email_address_id = primary.id;
    await deliver(e);
    const row = await user(e.data.id);
    assert.equal(row?.primary_email_address, 'primary@example.com');
    assert.equal(row?.primary_email_address_id, primary.id);
    assert.equal(asJson(row!.payload).id, e.data.id, 'full payload kept');
  });

  it('newer wins: a stale user.updated never overwrites newer data', async () => {
    const ids = new Map<string, string>();
    const created = userEvent('user.created', ids, 1000, 'v1');
    const newer = userEvent('user.updated', ids, 3000, 'v3');
    const stale = userEvent('user.updated', ids, 2000, 'v2');
    await deliver(newer, created, stale);
    const row = await user(created.data.id);
    assert.equal(row?.first_name, 'v3');
    assert.equal(row?.updated_at, 3000);
  });

  it('is idempotent: the same event delivered twice under new svix-ids changes nothing', async () => {
    const ids = new Map<string, string>();
    const e = userEvent('user.created', ids, 5000, 'same');
    await deliver(e);
    const first = await user(e.data.id);
    await deliver(e, e);
    assert.deepEqual(await user(e.data.id), first);
  });

  it('deletion is terminal and erases personal data, keeping id and external_id', async () => {
    const ids = new Map<string, string>();
    const created = userEvent('user.created', ids, 1000, 'Ada');
    created.data.external_id = 'ext-42';
    const deleted = eventFixture('user.deleted', { ids });
    deleted.data.id = created.data.id;
    deleted.data.external_id = 'ext-42';
    const late = userEvent('user.updated', ids, 9_999_999_999_999, 'Zombie');
    await deliver(created, deleted, late, created);
    const row = await user(created.data.id);
    assert.ok(row?.deleted_at);
    assert.equal(row?.external_id, 'ext-42');
    for (const col of ['first_name', 'last_name', 'username', 'primary_email_address', 'image_url', 'public_metadata', 'private_metadata', 'unsafe_metadata', 'payload'] as const) {
      assert.equal(row?.[col], null, `${col} erased`);
    }
  });

  it('a user.deleted that arrives before user.created still wins', async () => {
    const ids = new Map<string, string>();
    const created = userEvent('user.created', ids, 1000, 'Late');
    const deleted = eventFixture('user.deleted', { ids });
    deleted.data.id = created.data.id;
    await deliver(deleted, created);
    const row = await user(created.data.id);
    assert.ok(row?.deleted_at);
    assert.equal(row?.first_name, null);
  });

  it('organizations: upsert, newer wins, deletion ends memberships, late memberships arrive ended', async () => {
    const ids = new Map<string, string>();
    const org = eventFixture('organization.created', { ids });
    org.data.updated_at = 1000;
    const renamed = eventFixture('organization.updated', { ids });
    renamed.data.id = org.data.id;
    renamed.data.updated_at = 2000;
    renamed.data.name = 'Renamed';
    const membership = eventFixture('organizationMembership.created', { ids });
    membership.data.organization.id = org.data.id;
    await deliver(renamed, org, membership);
    const orgRow = await db().selectFrom('clerk_organizations').selectAll().where('id', '=', org.data.id).executeTakeFirstOrThrow();
    assert.equal(orgRow.name, 'Renamed');
    const m = await db().selectFrom('clerk_organization_memberships').selectAll().where('id', '=', membership.data.id).executeTakeFirstOrThrow();
    assert.equal(m.organization_id, org.data.id);
    assert.equal(m.user_id, membership.data.public_user_data?.user_id);
    assert.equal(m.role, membership.data.role);
    assert.equal(m.deleted_at, null);

    const deleted = eventFixture('organization.deleted', { ids });
    deleted.data.id = org.data.id;
    await deliver(deleted);
    const ended = await db().selectFrom('clerk_organization_memberships').select('deleted_at').where('id', '=', membership.data.id).executeTakeFirstOrThrow();
    assert.ok(ended.deleted_at, 'organization.deleted ends its memberships');

    const late = eventFixture('organizationMembership.created', { ids: new Map() });
    late.data.organization.id = org.data.id;
    await deliver(late, renamed);
    const lateRow = await db().selectFrom('clerk_organization_memberships').select('deleted_at').where('id', '=', late.data.id).executeTakeFirstOrThrow();
    assert.ok(lateRow.deleted_at, 'a membership of a deleted organization is stored as ended');
    assert.ok((await db().selectFrom('clerk_organizations').select('deleted_at').where('id', '=', org.data.id).executeTakeFirstOrThrow()).deleted_at);
  });

  it('user.deleted ends the user\'s memberships; organizationMembership.deleted keeps the row, ended', async () => {
    const ids = new Map<string, string>();
    const m1 = eventFixture('organizationMembership.created', { ids });
    const userId = m1.data.public_user_data!.user_id;
    await deliver(m1);
    const mDel = eventFixture('organizationMembership.deleted', { ids: new Map() });
    await deliver(mDel);
    const delRow = await db().selectFrom('clerk_organization_memberships').selectAll().where('id', '=', mDel.data.id).executeTakeFirstOrThrow();
    assert.ok(delRow.deleted_at);
    assert.equal(delRow.role, mDel.data.role);

    const userDeleted = eventFixture('user.deleted');
    userDeleted.data.id = userId;
    await deliver(userDeleted);
    const row = await db().selectFrom('clerk_organization_memberships').select('deleted_at').where('id', '=', m1.data.id).executeTakeFirstOrThrow();
    assert.ok(row.deleted_at);
  });

  it('syncs payloads with drift: missing optional fields, null names, unknown fields, no instance_id', async () => {
    const e = eventFixture('user.created') as any;
    delete e.instance_id;
    delete e.data.image_url;
    delete e.data.username;
    e.data.first_name = null;
    e.data.some_field_clerk_added_later = { nested: true };
    e.data.email_addresses = 'not-a-list';
    await deliver(e);
    const row = await user(e.data.id);
    assert.ok(row);
    assert.equal(row.first_name, null);
    assert.equal(row.instance_id, null);
    assert.equal(row.primary_email_address, null);
    assert.deepEqual(asJson(row.payload).some_field_clerk_added_later, { nested: true });
  });
});
