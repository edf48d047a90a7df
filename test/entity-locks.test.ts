import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_TYPES } from '../src/events/catalog.js';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase } from '../src/store/database.js';
import { POSTGRES } from '../src/store/dialect.js';
import { SqlWriter } from '../src/store/sql-writer.js';
import { entityKeys, takeEntities } from '../src/sync/entity-locks.js';
import { lockParent } from '../src/sync/parent-locks.js';
import { describeOn, freshDatabaseUrl } from './support/db.js';

const names = (type: string, data: unknown) => entityKeys(type, data).map((k) => `${k.table}:${k.id}`);

describe('entity keys', () => {
  it('every event of the catalog writes under at least one entity', () => {
    for (const type of EVENT_TYPES) assert.ok(entityKeys(type, eventFixture(type).data).length > 0, type);
  });

  it('events that write the same rows share a key', () => {
    const ids = new Map<string, string>();
    const user = eventFixture('user.updated', { ids }).data.id;
    // Sessions refresh their user; messages, memberships and accepted invitations hang off it.
    for (const type of ['user.deleted', 'session.created', 'session.revoked', 'email.created', 'sms.created', 'organizationMembership.created', 'organizationInvitation.accepted'] as const) {
      const data = eventFixture(type, { ids }).data as any;
      if (type.startsWith('organizationMembership')) data.public_user_data.user_id = user;
      else if (!type.startsWith('user')) data.user_id = user;
      assert.ok(names(type, data).includes(`clerk_users:${user}`), type);
    }
    const org = eventFixture('organization.updated', { ids }).data.id;
    for (const type of ['organization.deleted', 'organizationMembership.deleted', 'organizationInvitation.created', 'organizationDomain.created'] as const) {
      const data = eventFixture(type, { ids }).data as any;
      if (type.startsWith('organizationMembership')) data.organization.id = org;
      else if (!type.startsWith('organization.')) data.organization_id = org;
      assert.ok(names(type, data).includes(`clerk_organizations:${org}`), type);
    }
    assert.deepEqual(names('role.updated', {}), names('permission.deleted', {}), 'roles share permission rows');
    const domain = eventFixture('organizationDomain.created').data;
    assert.ok(names('organizationDomain.deleted', { id: domain.id, deleted: true }).every((k) => names('organizationDomain.updated', domain).includes(k)));
  });

  it('families outside the catalog and bodies without data write nothing', () => {
    assert.deepEqual(entityKeys('teleport.created', { id: 'user_1' }), []);
    assert.deepEqual(entityKeys('user.created', null), []);
    assert.deepEqual(entityKeys('nodot', {}), []);
  });
});

describeOn('postgres', 'takeEntities [postgres]', () => {
  it('leaves the events whose entity another transaction holds, without waiting, and holds them as lockParent does', async () => {
    const database = await openDatabase(await freshDatabaseUrl('postgres'));
    try {
      const db = database.db;
      const a = { table: 'clerk_users', id: 'user_a' };
      const b = { table: 'clerk_users', id: 'user_b' };
      const org = { table: 'clerk_organizations', id: 'org_1' };
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let taken!: () => void;
      const holding = new Promise<void>((r) => (taken = r));
      const first = db.transaction().execute(async (trx) => {
        assert.deepEqual(await takeEntities(trx, POSTGRES, [{ item: 'a', keys: [a] }]), ['a']);
        taken();
        await released;
      });
      await holding;
      await db.transaction().execute(async (trx) => {
        const t0 = performance.now();
        const got = await takeEntities(trx, POSTGRES, [{ item: 'a-and-org', keys: [org, a] }, { item: 'b', keys: [b] }, { item: 'none', keys: [] }, { item: 'org', keys: [org] }]);
        assert.deepEqual(got, ['b', 'none', 'org']);
        assert.ok(performance.now() - t0 < 1000, 'try-locks never wait');
      });
      // Same key space as lockParent: a writer of the user's child rows waits for the holder.
      let childWritten = false;
      const child = db.transaction().execute(async (trx) => {
        await lockParent(new SqlWriter(trx, POSTGRES), 'clerk_users', 'user_a');
        childWritten = true;
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(childWritten, false, 'lockParent waits while the entity is held');
      release();
      await first;
      await child;
      assert.equal(childWritten, true);
    } finally {
      await database.close();
    }
  });
});
