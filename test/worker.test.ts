import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { InboxQueue } from '../src/inbox/queue.js';
import { syncTables } from '../src/sync/sync-tables.js';
import { sqlDialect } from '../src/store/dialect.js';
import { SqlWriter } from '../src/store/sql-writer.js';
import { PermanentError, Worker, type EventProcessor, type ProcessedInfo } from '../src/worker/worker.js';
import { nextRetryAt, parseRetrySchedule } from '../src/worker/retry-schedule.js';
import { waitFor } from './support/env.js';
import { testDialects } from './support/db.js';
import { startService } from './support/service.js';

const eventRow = (svc: Awaited<ReturnType<typeof startService>>, id: string) =>
  svc.sync.database.db.selectFrom('clerk_webhook_events').selectAll().where('svix_id', '=', id).executeTakeFirst();

/** The event's row once the worker has applied it (`done`). */
const doneRow = (svc: Awaited<ReturnType<typeof startService>>, id: string, options?: Parameters<typeof waitFor>[1]) =>
  waitFor(async () => {
    const r = await eventRow(svc, id);
    return r?.status === 'done' && r;
  }, options);

for (const dialect of testDialects()) describe(`worker [${dialect}]`, () => {
  it('picks a fresh event up at once and marks it done in the same transaction as its sync writes', async () => {
    const svc = await startService({ dialect, worker: { pollIntervalMs: 60_000 } });
    try {
      const event = eventFixture('user.created');
      const t0 = Date.now();
      const res = await svc.send(event);
      const row = await doneRow(svc, res.id, { timeoutMs: 2000, intervalMs: 5, what: 'event done' });
      // The poll interval is a minute: only the commit notification can have started it this fast.
      assert.ok(Date.now() - t0 < 1000);
      assert.equal(row.attempts, 1);
      const user = await svc.sync.database.db.selectFrom('clerk_users').selectAll().where('id', '=', event.data.id).executeTakeFirst();
      assert.ok(user);
      const attempts = await svc.sync.database.db.selectFrom('clerk_webhook_attempts').selectAll().where('svix_id', '=', res.id).execute();
      assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome]), [[1, 'done']]);
    } finally {
      await svc.close();
    }
  });

  it('once caught up, lets the events that follow gather into one transaction; an idle worker starts at once', async () => {
    const svc = await startService({ dialect, worker: { pollIntervalMs: 60_000 } });
    await svc.sync.worker!.stop();
    // A worker of its own, gathering far longer than the default so that the test does not race
    // it, and with no batch budget to split a batch on a slow machine.
    const worker = new Worker({ database: svc.sync.database, process: syncTables, pollIntervalMs: 60_000, gatherMs: 2000, batchBudgetMs: 60_000 });
    try {
      await worker.start();
      const t0 = Date.now();
      const first = await svc.send(eventFixture('user.created'));
      worker.notify();
      const firstRow = await doneRow(svc, first.id, { timeoutMs: 10_000, intervalMs: 5, what: 'first event done' });
      assert.ok(Date.now() - t0 < 2000, `an idle worker took the first event at once, not after gathering (${Date.now() - t0} ms)`);

      // Sent one by one while the worker gathers after that batch: each is its own commit.
      const next = [];
      for (let i = 0; i < 5; i++) {
        next.push(await svc.send(eventFixture('user.created')));
        worker.notify();
      }
      const rows = [];
      for (const n of next) rows.push(await doneRow(svc, n.id, { timeoutMs: 10_000, what: 'gathered events done' }));
      const batches = new Set(rows.map((r) => r.processed_at));
      assert.equal(batches.size, 1, `the five events were applied in one transaction, not in ${batches.size}`);
      assert.notEqual(rows[0]!.processed_at, firstRow.processed_at);
    } finally {
      await worker.stop();
      await svc.close();
    }
  });

  it('does not gather after a batch the budget cut short: the events it left are due already', async () => {
    const svc = await startService({ dialect, worker: { pollIntervalMs: 60_000 } });
    await svc.sync.worker!.stop();
    // A budget of 0 cuts every batch after its first event; gathering would then wait 2 s each time.
    const worker = new Worker({ database: svc.sync.database, process: syncTables, pollIntervalMs: 60_000, gatherMs: 2000, batchBudgetMs: 0 });
    try {
      const sent = [];
      for (let i = 0; i < 5; i++) sent.push(await svc.send(eventFixture('user.created')));
      const t0 = Date.now();
      await worker.start();
      const rows = [];
      for (const s of sent) rows.push(await doneRow(svc, s.id, { timeoutMs: 20_000, what: 'events done' }));
      // Five batches (two may end in the same millisecond): the budget did cut them short.
      assert.ok(new Set(rows.map((r) => r.processed_at)).size > 1, 'the budget cut the batches short');
      assert.ok(Date.now() - t0 < 2000, `the five batches ran back to back, without gathering between them (${Date.now() - t0} ms)`);
    } finally {
      await worker.stop();
      await svc.close();
    }
  });

  it('retries a failing event with backoff, keeps attempts and the last error, then dead-letters it', async () => {
    const seen: ProcessedInfo[] = [];
    const failing: EventProcessor = async (trx, event, row, sql) => {
      await syncTables(trx, event, row, sql); // its writes must be rolled back with the failure
      if (event.type === 'organization.created') throw new Error('downstream is down');
    };
    const svc = await startService({ dialect, process: failing, worker: { retrySchedule: [50, 100], pollIntervalMs: 20 }, onProcessed: (i) => seen.push(i) });
    try {
      const event = eventFixture('organization.created');
      const res = await svc.send(event);
      const row = await waitFor(async () => {
        const r = await eventRow(svc, res.id);
        return r?.status === 'dead' && r;
      }, { what: 'dead event' });
      assert.equal(row.attempts, 3, 'first try plus two retries');
      assert.equal(row.last_error, 'downstream is down');
      const mine = seen.filter((s) => s.svixId === res.id);
      assert.deepEqual(mine.map((s) => s.outcome), ['failed', 'failed', 'dead']);
      const attempts = await svc.sync.database.db.selectFrom('clerk_webhook_attempts').selectAll().where('svix_id', '=', res.id).orderBy('id').execute();
      assert.deepEqual(attempts.map((a) => a.outcome), ['failed', 'failed', 'dead']);
      // Backoff: the second attempt started no earlier than ~80% of the first delay after the first.
      assert.ok(attempts[1]!.started_at - attempts[0]!.started_at >= 40);
      const org = await svc.sync.database.db.selectFrom('clerk_organizations').selectAll().where('id', '=', event.data.id).executeTakeFirst();
      assert.equal(org, undefined, 'a failed attempt leaves no partial writes');
    } finally {
      await svc.close();
    }
  });

  it('sends an event straight to dead on PermanentError', async () => {
    const svc = await startService({
      dialect,
      process: async () => {
        throw new PermanentError('this payload can never be applied');
      },
      worker: { retrySchedule: [10, 10, 10] },
    });
    try {
      const res = await svc.send(eventFixture('user.created'));
      const row = await waitFor(async () => {
        const r = await eventRow(svc, res.id);
        return r?.status === 'dead' && r;
      });
      assert.equal(row.attempts, 1);
    } finally {
      await svc.close();
    }
  });

  it('a failing event does not hold up the others', async () => {
    const svc = await startService({
      dialect,
      process: async (trx, event, row, sql) => {
        if (event.type === 'organization.created') throw new Error('boom');
        await syncTables(trx, event, row, sql);
      },
      worker: { retrySchedule: [30, 30, 30, 30], pollIntervalMs: 20 },
    });
    try {
      const bad = await svc.send(eventFixture('organization.created'));
      const goods = [];
      for (let i = 0; i < 20; i++) goods.push(await svc.send(eventFixture('user.created')));
      for (const g of goods) await waitFor(async () => (await eventRow(svc, g.id))?.status === 'done');
      await waitFor(async () => (await eventRow(svc, bad.id))?.status === 'dead');
    } finally {
      await svc.close();
    }
  });

  it('events of a batch that failed are applied one at a time, each in full', async () => {
    // A failure rolls the whole batch back; the next one applies each event in its own savepoint.
    // A session carrying a newer version of its user must still refresh the user's child rows there.
    const svc = await startService({
      dialect,
      process: async (trx, event, row, sql) => {
        if (event.type === 'organization.created') throw new PermanentError('boom');
        await syncTables(trx, event, row, sql);
      },
      worker: { pollIntervalMs: 20 },
    });
    try {
      const ids = new Map<string, string>();
      const v1 = eventFixture('user.created', { ids });
      v1.data.updated_at = 1_700_000_000_000;
      const first = await svc.send(v1);
      await waitFor(async () => (await eventRow(svc, first.id))?.status === 'done');
      await svc.sync.worker!.stop();

      const newer = eventFixture('user.updated', { ids }).data;
      newer.updated_at = v1.data.updated_at + 1000;
      newer.email_addresses = [newer.email_addresses[0]!, { ...newer.email_addresses[0]!, id: `${newer.email_addresses[0]!.id}_2`, email_address: 'second@example.com' }];
      const session = eventFixture('session.created', { ids });
      session.data.user = newer as any;
      const bad = await svc.send(eventFixture('organization.created'));
      const good = await svc.send(session);
      await svc.sync.worker!.start();
      await waitFor(async () => (await eventRow(svc, good.id))?.status === 'done');
      assert.equal((await eventRow(svc, bad.id))?.status, 'dead');
      const emails = await svc.sync.database.db.selectFrom('clerk_user_email_addresses').select('email_address').where('user_id', '=', v1.data.id).execute();
      assert.deepEqual(emails.map((e) => e.email_address).sort(), [v1.data.email_addresses[0]!.email_address, 'second@example.com'].sort());
    } finally {
      await svc.close();
    }
  });

  it('replay puts a dead event back and it is applied', async () => {
    let fail = true;
    const svc = await startService({
      dialect,
      process: async (trx, event, row, sql) => {
        if (fail) throw new Error('not yet');
        await syncTables(trx, event, row, sql);
      },
      worker: { retrySchedule: [], pollIntervalMs: 20 },
    });
    try {
      const event = eventFixture('user.created');
      const res = await svc.send(event);
      await waitFor(async () => (await eventRow(svc, res.id))?.status === 'dead');
      fail = false;
      assert.equal(await new InboxQueue(svc.sync.database).requeue([res.id]), 1);
      svc.sync.worker!.notify();
      const row = await doneRow(svc, res.id);
      assert.equal(row.last_error, null);
      assert.ok(await svc.sync.database.db.selectFrom('clerk_users').select('id').where('id', '=', event.data.id).executeTakeFirst());
    } finally {
      await svc.close();
    }
  });

  it('a worker that dies mid-batch holds nothing: its claims roll back and the events are applied once', async () => {
    const svc = await startService({ dialect, worker: { pollIntervalMs: 20 } });
    try {
      await svc.sync.worker!.stop();
      const event = eventFixture('user.created');
      const res = await svc.send(event);
      const queue = new InboxQueue(svc.sync.database);
      // A worker claims and starts applying, then crashes before committing.
      await assert.rejects(
        svc.sync.database.db.transaction().execute(async (trx) => {
          const rows = await queue.claim(trx, 10);
          assert.equal(rows.length, 1);
          await syncTables(trx, JSON.parse(rows[0]!.body), rows[0]!, new SqlWriter(trx, sqlDialect(svc.sync.database.dialect)));
          throw new Error('process died');
        }),
        /process died/,
      );
      assert.equal((await eventRow(svc, res.id))?.status, 'pending');
      assert.equal(await svc.sync.database.db.selectFrom('clerk_users').select('id').where('id', '=', event.data.id).executeTakeFirst(), undefined);
      await svc.sync.worker!.start();
      const row = await doneRow(svc, res.id);
      assert.equal(row.attempts, 1);
      assert.equal(row.processed_by, svc.sync.worker!.id);
    } finally {
      await svc.close();
    }
  });

  it('several workers on one database apply every event exactly once', async () => {
    const svc = await startService({ dialect, worker: { pollIntervalMs: 10, batchSize: 4 } });
    const { Worker } = await import('../src/worker/worker.js');
    const extra = [1, 2].map(() => new Worker({ database: svc.sync.database, process: syncTables, batchSize: 4, pollIntervalMs: 10 }));
    try {
      await Promise.all(extra.map((w) => w.start()));
      const sent = await Promise.all(Array.from({ length: 60 }, () => svc.send(eventFixture('user.created'))));
      await waitFor(async () => {
        const n = await svc.sync.database.db.selectFrom('clerk_webhook_events').select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'done').executeTakeFirstOrThrow();
        return Number(n.n) === sent.length;
      });
      const attempts = await svc.sync.database.db.selectFrom('clerk_webhook_attempts').select(['svix_id']).execute();
      assert.equal(attempts.length, sent.length, 'one attempt per event, none repeated');
      const workers = await svc.sync.database.db.selectFrom('clerk_webhook_events').select('processed_by').distinct().execute();
      assert.ok(workers.length >= 1);
    } finally {
      await Promise.all(extra.map((w) => w.stop()));
      await svc.close();
    }
  });
});

if (testDialects().includes('postgres')) describe('worker lock conflicts [postgres]', () => {
  it('a deadlock rolls the batch back and runs it again, without counting it against its events', async () => {
    // The deadlocked event runs in a batch applied event by event (after another event failed),
    // where a failure would otherwise be recorded against it and retried minutes later.
    let calls = 0;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let proceed!: () => void;
    const go = new Promise<void>((r) => (proceed = r));
    const svc = await startService({
      dialect: 'postgres',
      process: async (trx, event, row, writer) => {
        if (event.type === 'organization.created') throw new PermanentError('never applies');
        if (++calls === 1) {
          await sql`update lock_demo set n = n + 1 where id = 1`.execute(trx);
          entered();
          await go;
          await sql`update lock_demo set n = n + 1 where id = 2`.execute(trx);
        }
        await syncTables(trx, event, row, writer);
      },
      worker: { pollIntervalMs: 20 },
    });
    try {
      const db = svc.sync.database.db;
      await sql`create table lock_demo (id int primary key, n int not null)`.execute(db);
      await sql`insert into lock_demo values (1, 0), (2, 0)`.execute(db);
      await svc.sync.worker!.stop();
      const bad = await svc.send(eventFixture('organization.created'));
      const good = await svc.send(eventFixture('user.created'));
      await svc.sync.worker!.start();
      // Row 2, then row 1: the opposite order of the worker's. Its longer deadlock_timeout makes the
      // worker the one that detects the deadlock, and so the one whose transaction is cancelled.
      await db.transaction().execute(async (trx) => {
        await sql`set local deadlock_timeout = '30s'`.execute(trx);
        await inside;
        await sql`update lock_demo set n = n + 10 where id = 2`.execute(trx);
        proceed();
        await sql`update lock_demo set n = n + 10 where id = 1`.execute(trx);
      });
      const row = await doneRow(svc, good.id);
      assert.equal(calls, 2, 'applied again after the deadlock');
      assert.equal(row.attempts, 1);
      const attempts = await db.selectFrom('clerk_webhook_attempts').select(['attempt', 'outcome']).where('svix_id', '=', good.id).execute();
      assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome]), [[1, 'done']], 'the deadlock is not recorded as a failed attempt');
      assert.equal((await eventRow(svc, bad.id))?.status, 'dead');
      const { rows } = await sql<{ id: number; n: number }>`select id, n from lock_demo order by id`.execute(db);
      assert.deepEqual(rows.map((r) => r.n), [10, 10], 'the cancelled attempt left nothing');
    } finally {
      await svc.close();
    }
  });
});

describe('retry schedule', () => {
  it('parses durations and says what is wrong', () => {
    assert.deepEqual(parseRetrySchedule('5s, 30s,2m,1h,1d,250ms'), [5000, 30000, 120000, 3600000, 86400000, 250]);
    assert.deepEqual(parseRetrySchedule('none'), []);
    assert.throws(() => parseRetrySchedule('5 seconds'), /invalid retry delay "5 seconds".*units: ms, s, m, h, d/);
  });

  it('jitters each delay within ±20% and stops after the last', () => {
    const schedule = [1000, 2000];
    assert.equal(nextRetryAt(1, schedule, 0, () => 0), 800);
    assert.equal(nextRetryAt(1, schedule, 0, () => 1), 1200);
    assert.equal(nextRetryAt(2, schedule, 0, () => 0.5), 2000);
    assert.equal(nextRetryAt(3, schedule, 0, () => 0.5), null);
  });
});
