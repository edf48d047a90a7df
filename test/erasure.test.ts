/**
 * "A deleted user's personal data is erased" holds for the inbox too: on user.deleted, every
 * stored event about that user (their user.* events, sessions, memberships, emails, SMS) keeps
 * only ids, type, times and status, in the same transaction; other users' events stay as sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { testTargets } from './support/db.js';
import { waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';

/** Every string a person typed into the events below: none may survive the deletion. */
const PII = ['Grace', 'Hopper', 'grace@navy.example', '+15550100', '203.0.113.7', 'Mozilla/5.0 (Grace)', 'my secret notes'];

async function deliver(svc: TestService, event: object): Promise<string> {
  const res = await svc.send(event);
  assert.equal(res.status, 200);
  await waitFor(async () => (await svc.sync.database.db.selectFrom('clerk_webhook_events').select('status').where('svix_id', '=', res.id).executeTakeFirst())?.status === 'done', { what: `event ${res.id} done` });
  return res.id;
}

for (const target of testTargets()) {
  describe(`erasure of a deleted user's events [${target}]`, () => {
    it('user.deleted redacts every stored event about the user, and only theirs', async () => {
      const svc = await startService({ dialect: target, worker: { pollIntervalMs: 20 } });
      try {
        const ids = new Map<string, string>();
        const created = eventFixture('user.created', { ids }) as any;
        Object.assign(created.data, { first_name: 'Grace', last_name: 'Hopper', unsafe_metadata: { notes: 'my secret notes' } });
        created.data.email_addresses[0].email_address = 'grace@navy.example';
        created.event_attributes = { http_request: { client_ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (Grace)' } };
        const userId: string = created.data.id;
        const session = eventFixture('session.created') as any;
        Object.assign(session.data, { user_id: userId });
        session.data.user = { ...created.data };
        const membership = eventFixture('organizationMembership.created') as any;
        Object.assign(membership.data.public_user_data, { user_id: userId, first_name: 'Grace', identifier: 'grace@navy.example' });
        const email = eventFixture('email.created') as any;
        Object.assign(email.data, { user_id: userId, to_email_address: 'grace@navy.example', body: 'Hello Grace' });
        const sms = eventFixture('sms.created') as any;
        Object.assign(sms.data, { user_id: userId, to_phone_number: '+15550100' });
        const other = eventFixture('user.created') as any;
        Object.assign(other.data, { first_name: 'Ada' });

        const theirs: string[] = [];
        for (const e of [created, session, membership, email, sms]) theirs.push(await deliver(svc, e));
        const adaId = await deliver(svc, other);
        const deleted = eventFixture('user.deleted') as any;
        deleted.data.id = userId;
        const deletion = await deliver(svc, deleted);

        const db = svc.sync.database.db;
        const rows = await db.selectFrom('clerk_webhook_events').select(['svix_id', 'type', 'status', 'body', 'headers', 'entity_id']).where('svix_id', 'in', [...theirs, deletion]).execute();
        assert.equal(rows.length, 6);
        for (const r of rows) {
          for (const pii of PII) assert.ok(!r.body.includes(pii) && !r.headers.includes(pii), `${r.type} still holds "${pii}"`);
          const body = JSON.parse(r.body);
          assert.equal(body.clerk_sync_redacted, true, `${r.type} is marked redacted`);
          assert.equal(body.type, r.type, 'the type stays');
          assert.equal(typeof body.data.id, 'string', 'the ids stay');
          assert.equal(r.status, 'done', 'the status stays');
          assert.ok(!('svix-signature' in JSON.parse(r.headers)), 'the signature of the original body goes with it');
        }
        const ada = await db.selectFrom('clerk_webhook_events').select('body').where('svix_id', '=', adaId).executeTakeFirstOrThrow();
        assert.equal(ada.body, JSON.stringify(other), "another user's event stays byte-exact");

        // The synced copies too: the user row keeps id and deleted_at; memberships and sessions no payload.
        const user = await db.selectFrom('clerk_users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
        assert.equal(user.first_name, null);
        assert.equal(user.payload, null);
        const memberships = await db.selectFrom('clerk_organization_memberships').select(['payload', 'deleted_at']).where('user_id', '=', userId).execute();
        assert.deepEqual(memberships.map((m) => [m.payload, m.deleted_at !== null]), [[null, true]]);

        // A replay of a redacted event changes nothing: the user stays deleted.
        const before = JSON.stringify(await db.selectFrom('clerk_users').selectAll().where('id', '=', userId).executeTakeFirst());
        await db.updateTable('clerk_webhook_events').set({ status: 'pending', attempts: 0, next_attempt_at: Date.now() }).where('svix_id', '=', theirs[0]!).execute();
        svc.sync.worker!.notify();
        await waitFor(async () => (await db.selectFrom('clerk_webhook_events').select('status').where('svix_id', '=', theirs[0]!).executeTakeFirst())?.status === 'done', { what: 'the replay' });
        assert.equal(JSON.stringify(await db.selectFrom('clerk_users').selectAll().where('id', '=', userId).executeTakeFirst()), before);
      } finally {
        await svc.close();
      }
    });

    it('events about the user that arrive after user.deleted (late retries, a late session or email) are redacted as they are processed', async () => {
      const svc = await startService({ dialect: target, worker: { pollIntervalMs: 20 } });
      try {
        const created = eventFixture('user.created') as any;
        const userId: string = created.data.id;
        await deliver(svc, created);
        const deleted = eventFixture('user.deleted') as any;
        deleted.data.id = userId;
        await deliver(svc, deleted);

        const late = eventFixture('user.updated') as any;
        Object.assign(late.data, { id: userId, first_name: 'Grace', last_name: 'Hopper', updated_at: Date.now() + 60_000 });
        late.data.email_addresses[0].email_address = 'grace@navy.example';
        const session = eventFixture('session.created') as any;
        Object.assign(session.data, { user_id: userId });
        session.data.user = { ...late.data };
        const email = eventFixture('email.created') as any;
        Object.assign(email.data, { user_id: userId, to_email_address: 'grace@navy.example', body: 'Hello Grace' });
        const other = eventFixture('user.created') as any;
        Object.assign(other.data, { first_name: 'Grace' });
        const lateIds = [await deliver(svc, late), await deliver(svc, session), await deliver(svc, email)];
        const otherId = await deliver(svc, other);

        const db = svc.sync.database.db;
        for (const r of await db.selectFrom('clerk_webhook_events').select(['type', 'body', 'headers']).where('svix_id', 'in', lateIds).execute()) {
          for (const pii of PII) assert.ok(!r.body.includes(pii), `the late ${r.type} still holds "${pii}"`);
          assert.equal(JSON.parse(r.body).clerk_sync_redacted, true);
        }
        const kept = await db.selectFrom('clerk_webhook_events').select('body').where('svix_id', '=', otherId).executeTakeFirstOrThrow();
        assert.equal(kept.body, JSON.stringify(other), "another user's event is not touched");
        const user = await db.selectFrom('clerk_users').select(['first_name', 'deleted_at']).where('id', '=', userId).executeTakeFirstOrThrow();
        assert.deepEqual([user.first_name, user.deleted_at !== null], [null, true], 'the late update changed nothing');
      } finally {
        await svc.close();
      }
    });
  });
}
