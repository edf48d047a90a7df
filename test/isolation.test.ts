/**
 * One bad event must never stop, slow or lose the others. A hostile id in each field that names
 * another entity (the ones the worker locks before applying a batch), a step shared by a batch
 * that refuses one event, and a group commit that refuses one row: the others go through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { ClerkEventType } from '../src/events/catalog.js';
import { eventFixture, setPath } from '../src/events/fixtures.js';
import { InboxWriter, RowRefusedError } from '../src/inbox/writer.js';
import type { InboxRecord } from '../src/inbox/record.js';
import type { Database } from '../src/store/database.js';
import { testTargets } from './support/db.js';
import { waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';

/** The fields that name another entity: the worker takes them as locks before it applies a batch. */
const RELATED_IDS: Array<[ClerkEventType, string]> = [
  ['session.created', 'data.user_id'],
  ['organizationMembership.created', 'data.organization.id'],
  ['organizationMembership.created', 'data.public_user_data.user_id'],
  ['organizationInvitation.created', 'data.organization_id'],
  ['organizationDomain.created', 'data.organization_id'],
  ['email.created', 'data.user_id'],
  ['sms.created', 'data.user_id'],
  ['subscription.created', 'data.payer.user_id'],
];

const POISONS: Record<string, unknown> = {
  nul: 'user_\u0000x',
  lone_surrogate: 'org_\ud800',
  '20 KB': `user_${'x'.repeat(20_000)}`,
  'not a string': { $gt: '' },
};

const status = (svc: TestService, id: string) =>
  svc.sync.database.db.selectFrom('clerk_webhook_events').select(['status', 'last_error']).where('svix_id', '=', id).executeTakeFirst();

/** A trigger that refuses rows of `table` whose svix_id is `svixId`, on either database. */
async function refuseRows(database: Database, table: string, svixId: string): Promise<void> {
  if (database.dialect === 'sqlite') {
    await sql`create trigger refuse_${sql.raw(table)} before insert on ${sql.table(table)} when new.svix_id = ${sql.lit(svixId)}
      begin select raise(abort, 'refused by a test trigger'); end`.execute(database.db);
    return;
  }
  await sql`create function refuse_${sql.raw(table)}() returns trigger language plpgsql as $$
    begin if new.svix_id = ${sql.lit(svixId)} then raise exception 'refused by a test trigger'; end if; return new; end $$`.execute(database.db);
  await sql`create trigger refuse_${sql.raw(table)} before insert on ${sql.table(table)} for each row execute function refuse_${sql.raw(table)}()`.execute(database.db);
}

for (const target of testTargets()) {
  describe(`isolation [${target}]`, () => {
    for (const [type, path] of RELATED_IDS) {
      it(`a hostile ${type} ${path} holds nothing up: 100 ordinary events after it are applied within seconds`, async () => {
        const svc = await startService({ dialect: target, worker: { pollIntervalMs: 20 } });
        try {
          const poisons: string[] = [];
          for (const value of Object.values(POISONS)) {
            const event = eventFixture(type);
            setPath(event, path, value);
            const res = await svc.send(event);
            assert.equal(res.status, 200);
            poisons.push(res.id);
          }
          const started = Date.now();
          const ordinary: string[] = [];
          for (let i = 0; i < 100; i++) ordinary.push((await svc.send(eventFixture('user.created'))).id);
          await waitFor(async () => {
            const done = await svc.sync.database.db.selectFrom('clerk_webhook_events').select('svix_id').where('svix_id', 'in', ordinary).where('status', '=', 'done').execute();
            return done.length === ordinary.length;
          }, { timeoutMs: 10_000, what: 'the 100 ordinary events' });
          assert.ok(Date.now() - started < 10_000);
          for (const [i, id] of poisons.entries()) {
            const row = await status(svc, id);
            const variant = Object.keys(POISONS)[i];
            // Normalized and applied, or refused for good with the reason: never left waiting.
            assert.ok(row?.status === 'done' || (row?.status === 'dead' && row.last_error), `${variant}: ${JSON.stringify(row)}`);
          }
        } finally {
          await svc.close();
        }
      });
    }

    it('a step shared by the batch that refuses one event (its outcome write): that event ends dead with the reason, the others done', async () => {
      const svc = await startService({ dialect: target, worker: { pollIntervalMs: 20, batchSize: 64 } });
      try {
        await refuseRows(svc.sync.database, 'clerk_webhook_attempts', 'msg_poison_outcome');
        const poison = await svc.send(eventFixture('user.created'), { id: 'msg_poison_outcome' });
        assert.equal(poison.status, 200);
        const others = await Promise.all(Array.from({ length: 100 }, () => svc.send(eventFixture('user.created'))));
        await waitFor(async () => (await status(svc, 'msg_poison_outcome'))?.status === 'dead', { timeoutMs: 10_000, what: 'the poison event dead' });
        const row = await status(svc, 'msg_poison_outcome');
        assert.match(row!.last_error!, /its outcome could not be recorded: .*refused by a test trigger/);
        await waitFor(async () => {
          const done = await svc.sync.database.db.selectFrom('clerk_webhook_events').select('svix_id').where('svix_id', 'in', others.map((o) => o.id)).where('status', '=', 'done').execute();
          return done.length === others.length;
        }, { timeoutMs: 10_000, what: 'the 100 others done' });
        assert.equal(svc.sync.worker!.health().ok, true, 'the worker is not failing');
      } finally {
        await svc.close();
      }
    });

    it('a group commit that refuses one row: the 30 others are stored, only that delivery is refused', async () => {
      const svc = await startService({ dialect: target, worker: false });
      try {
        await refuseRows(svc.sync.database, 'clerk_webhook_events', 'msg_bad_row');
        const committed: InboxRecord[] = [];
        const writer = new InboxWriter(svc.sync.database, (records) => void committed.push(...records));
        const record = (svixId: string): InboxRecord => ({
          svixId, type: 'user.created', status: 'pending', eventTimestamp: Date.now(), instanceId: null, entityId: null,
          headers: {}, body: JSON.stringify(eventFixture('user.created')), receivedAt: Date.now(),
        });
        // Written in one turn of the event loop: one group commit.
        const good = Array.from({ length: 30 }, (_, i) => writer.write(record(`msg_good_${i}`)));
        const bad = writer.write(record('msg_bad_row'));
        const results = await Promise.allSettled([...good, bad]);
        assert.deepEqual(results.slice(0, 30).map((r) => r.status), good.map(() => 'fulfilled'));
        const refused = results[30]!;
        assert.equal(refused.status, 'rejected');
        assert.ok((refused as PromiseRejectedResult).reason instanceof RowRefusedError);
        assert.equal(committed.length, 30);
        const stored = await svc.sync.database.db.selectFrom('clerk_webhook_events').select('svix_id').execute();
        assert.equal(stored.length, 30);

        // Over HTTP, concurrently: the good deliveries answer 200 whatever the flush they share.
        const answers = await Promise.all([...Array.from({ length: 30 }, () => svc.send(eventFixture('user.created'))), svc.send(eventFixture('user.created'), { id: 'msg_bad_row' })]);
        assert.deepEqual(answers.slice(0, 30).map((a) => a.status), answers.slice(0, 30).map(() => 200));
        assert.ok([400, 503].includes(answers[30]!.status), `the refused one: ${answers[30]!.status}`);
        if (answers[30]!.status === 400) assert.equal(answers[30]!.body.error.code, 'unstorable_event');
      } finally {
        await svc.close();
      }
    });
  });
}
