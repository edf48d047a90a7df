import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Kysely, Transaction } from 'kysely';
import { createClerkSync, ConfigError } from '../src/clerk-sync.js';
import { eventFixture } from '../src/events/fixtures.js';
import type { ClerkWebhookEvent } from '../src/events/catalog.js';
import { EventHandlers, HandlerTimeoutError, PermanentError, type HandlerContext } from '../src/handlers/index.js';
import { createLogger } from '../src/log.js';
import type { ProcessedInfo } from '../src/worker/worker.js';
import { testDialects } from './support/db.js';
import { newSecret, tempDbPath, waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';

interface AppTables {
  app_audit: { svix_id: string; user_id: string; attempt: number };
}

const eventRow = (svc: TestService, id: string) => svc.sync.database.db.selectFrom('clerk_webhook_events').selectAll().where('svix_id', '=', id).executeTakeFirst();
const attemptsOf = (svc: TestService, id: string) =>
  svc.sync.database.db.selectFrom('clerk_webhook_attempts').selectAll().where('svix_id', '=', id).orderBy('id').execute();
const settled = (svc: TestService, id: string, status: string) =>
  waitFor(async () => {
    const r = await eventRow(svc, id);
    return r?.status === status && r;
  }, { what: `event ${id} ${status}` });
const userIds = async (svc: TestService) => (await svc.sync.database.db.selectFrom('clerk_users').select('id').execute()).map((r) => r.id);

for (const dialect of testDialects()) describe(`typed handlers [${dialect}]`, () => {
  it('runs a typed handler only for its type, and the catch-all for every event, in registration order', async () => {
    const calls: string[] = [];
    const handlers = new EventHandlers()
      .on('user.created', (event) => void calls.push(`user.created:${event.data.first_name}`))
      .onAny((event) => void calls.push(`any:${event.type}`))
      .on(['organization.created', 'user.deleted'], (event) => void calls.push(`several:${event.type}`));
    const svc = await startService({ dialect, handlers });
    try {
      const user = eventFixture('user.created');
      user.data.first_name = 'Ada';
      for (const event of [user, eventFixture('user.updated'), eventFixture('organization.created')]) {
        const res = await svc.send(event);
        await settled(svc, res.id, 'done');
      }
      assert.deepEqual(calls, ['user.created:Ada', 'any:user.created', 'any:user.updated', 'any:organization.created', 'several:organization.created']);
    } finally {
      await svc.close();
    }
  });

  it("a handler sees its own event's sync writes (and its user's email rows) in ctx.trx", async () => {
    const seen: Array<{ name: string | null; emails: number }> = [];
    const svc = await startService({
      dialect,
      handlers: {
        'user.created': async (event, ctx) => {
          const user = await ctx.trx.selectFrom('clerk_users').select('first_name').where('id', '=', event.data.id).executeTakeFirst();
          const emails = await ctx.trx.selectFrom('clerk_user_email_addresses').select('id').where('user_id', '=', event.data.id).execute();
          seen.push({ name: user?.first_name ?? null, emails: emails.length });
        },
      },
    });
    try {
      const events = [eventFixture('user.created'), eventFixture('user.created'), eventFixture('user.created')];
      events.forEach((e, i) => (e.data.first_name = `Ada ${i}`));
      // Sent together so that they share a batch: each handler must still see its own event applied.
      const sent = await Promise.all(events.map((e) => svc.send(e)));
      for (const r of sent) await settled(svc, r.id, 'done');
      assert.deepEqual(seen.map((s) => s.name).sort(), ['Ada 0', 'Ada 1', 'Ada 2']);
      for (const s of seen) assert.equal(s.emails, events[0]!.data.email_addresses.length);
    } finally {
      await svc.close();
    }
  });

  it('the handler map form: keys narrow, "*" is the catch-all; sync.on() adds to it before start()', async () => {
    const seen: ClerkWebhookEvent[] = [];
    const contexts: HandlerContext[] = [];
    const secret = newSecret();
    const svc = await startService({
      dialect,
      secret,
      handlers: {
        'user.created': (event, ctx) => {
          seen.push(event);
          contexts.push(ctx);
        },
        '*': () => {},
      },
    });
    try {
      assert.throws(() => svc.sync.on('user.updated', () => {}), /register handlers before start\(\)/);
      const event = eventFixture('user.created');
      const res = await svc.send(event);
      await settled(svc, res.id, 'done');
      assert.deepEqual(seen, [event], 'the handler gets the parsed event as sent');
      const [ctx] = contexts;
      assert.equal(ctx!.svixId, res.id);
      assert.equal(ctx!.attempt, 1);
      assert.ok(ctx!.signal instanceof AbortSignal);
      assert.equal(ctx!.signal.aborted, false);
    } finally {
      await svc.close();
    }

    const sync = await createClerkSync({ secret, database: tempDbPath() });
    const calls: string[] = [];
    sync.on('user.created', () => void calls.push('on')).onAny(() => void calls.push('any'));
    assert.equal(sync.handlers.size, 2);
    await sync.stop();
  });

  it("ctx.trx: the app's writes commit with ours, and roll back with ours when the handler throws; attempt counts retries", async () => {
    const attempts: number[] = [];
    const failUntilAttempt = new Map<string, number>();
    const svc = await startService({
      dialect,
      worker: { retrySchedule: [30, 30, 30], pollIntervalMs: 20 },
      handlers: {
        'user.created': async (event, ctx) => {
          attempts.push(ctx.attempt);
          // createClerkSync<AppTables>() types ctx.trx for the app's tables (test/types/handlers.ts); startService is not generic.
          const trx = ctx.trx as unknown as Transaction<AppTables>;
          await trx.insertInto('app_audit').values({ svix_id: ctx.svixId, user_id: event.data.id, attempt: ctx.attempt }).execute();
          if (ctx.attempt < (failUntilAttempt.get(event.data.id) ?? 0)) throw new Error(`not yet (attempt ${ctx.attempt})`);
        },
      },
    });
    try {
      const db = svc.sync.database.db as unknown as Kysely<AppTables>;
      await db.schema.createTable('app_audit').addColumn('svix_id', 'text', (c) => c.primaryKey()).addColumn('user_id', 'text').addColumn('attempt', 'integer').execute();

      const ok = eventFixture('user.created');
      const first = await svc.send(ok);
      await settled(svc, first.id, 'done');
      assert.deepEqual(await db.selectFrom('app_audit').selectAll().execute(), [{ svix_id: first.id, user_id: ok.data.id, attempt: 1 }]);
      assert.deepEqual(await userIds(svc), [ok.data.id]);

      const flaky = eventFixture('user.created');
      failUntilAttempt.set(flaky.data.id, 3);
      attempts.length = 0;
      const second = await svc.send(flaky);
      const row = await settled(svc, second.id, 'done');
      assert.equal(row.attempts, 3);
      assert.deepEqual([...new Set(attempts)], [1, 2, 3], 'ctx.attempt is 1, then 2, then 3');
      assert.deepEqual((await attemptsOf(svc, second.id)).map((a) => [a.attempt, a.outcome]), [[1, 'failed'], [2, 'failed'], [3, 'done']]);
      // The failed attempts' inserts (app_audit has svix_id as key) were rolled back with the sync writes.
      assert.deepEqual(await db.selectFrom('app_audit').select(['svix_id', 'attempt']).where('svix_id', '=', second.id).execute(), [{ svix_id: second.id, attempt: 3 }]);
    } finally {
      await svc.close();
    }
  });

  it('a throwing handler rolls the sync writes back, retries with backoff, then dead-letters; PermanentError is dead at once', async () => {
    const seen: ProcessedInfo[] = [];
    const svc = await startService({
      dialect,
      onProcessed: (i) => seen.push(i),
      worker: { retrySchedule: [60, 120], pollIntervalMs: 20 },
      handlers: {
        'organization.created': () => {
          throw new Error('crm is down');
        },
        'user.created': (event) => {
          throw new PermanentError(`user ${event.data.id} can never be imported`);
        },
      },
    });
    try {
      const org = eventFixture('organization.created');
      const res = await svc.send(org);
      const row = await settled(svc, res.id, 'dead');
      assert.equal(row.attempts, 3);
      assert.equal(row.last_error, 'crm is down');
      const tries = await attemptsOf(svc, res.id);
      assert.deepEqual(tries.map((a) => a.outcome), ['failed', 'failed', 'dead']);
      assert.ok(tries[1]!.started_at - tries[0]!.started_at >= 60 * 0.8 - 5, 'the first retry waited for the backoff');
      assert.ok(tries[2]!.started_at - tries[1]!.started_at >= 120 * 0.8 - 5, 'the second retry waited longer');
      const orgs = await svc.sync.database.db.selectFrom('clerk_organizations').select('id').where('id', '=', org.data.id).execute();
      assert.deepEqual(orgs, [], "the failed event's sync writes were rolled back");
      assert.deepEqual(seen.filter((s) => s.svixId === res.id).map((s) => s.outcome), ['failed', 'failed', 'dead']);

      const user = await svc.send(eventFixture('user.created'));
      const dead = await settled(svc, user.id, 'dead');
      assert.equal(dead.attempts, 1);
      assert.match(dead.last_error ?? '', /can never be imported/);
    } finally {
      await svc.close();
    }
  });

  it('a handler past handlerTimeoutMs fails the event (retried) and its signal aborts', async () => {
    let aborted: unknown = null;
    const svc = await startService({
      dialect,
      handlerTimeoutMs: 150,
      worker: { retrySchedule: [60_000], pollIntervalMs: 20 },
      handlers: {
        'user.created': (_event, ctx) =>
          new Promise<void>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = ctx.signal.reason;
              resolve();
            });
          }),
      },
    });
    try {
      const t0 = Date.now();
      const res = await svc.send(eventFixture('user.created'));
      const row = await settled(svc, res.id, 'failed');
      assert.ok(Date.now() - t0 >= 150);
      assert.match(row.last_error ?? '', /did not finish within 150 ms, so the event will be retried/);
      assert.ok(row.next_attempt_at > Date.now() + 30_000, 'scheduled for a retry, not dead');
      assert.ok(aborted instanceof HandlerTimeoutError);
      assert.deepEqual(await userIds(svc), []);
    } finally {
      await svc.close();
    }
  });

  it('logger: handler lines carry svix_id and type', async () => {
    const lines: any[] = [];
    const svc = await startService({
      dialect,
      logger: createLogger('info', (l) => void lines.push(JSON.parse(l))),
      handlers: { 'user.created': (event, ctx) => ctx.logger.info('welcome', { user_id: event.data.id }) },
    });
    try {
      const event = eventFixture('user.created');
      const res = await svc.send(event);
      await settled(svc, res.id, 'done');
      const welcome = lines.find((l) => l.msg === 'welcome');
      assert.deepEqual({ ...welcome, time: undefined }, { time: undefined, level: 'info', msg: 'welcome', svix_id: res.id, type: 'user.created', user_id: event.data.id });
    } finally {
      await svc.close();
    }
  });

  it('sync: false applies no table writes, handlers still run', async () => {
    const calls: string[] = [];
    const svc = await startService({ dialect, sync: false, handlers: { '*': (event) => void calls.push(event.type) } });
    try {
      const res = await svc.send(eventFixture('user.created'));
      await settled(svc, res.id, 'done');
      assert.deepEqual(calls, ['user.created']);
      assert.deepEqual(await userIds(svc), []);
    } finally {
      await svc.close();
    }
  });

  it('sync: { only } and { except } narrow the table sync by type or namespace', async () => {
    for (const [option, expectUser, expectOrg] of [
      [{ only: ['organization.*'] }, false, true],
      [{ except: ['user.created'] }, false, true],
      [{ only: ['user.created', 'user.updated'] }, true, false],
    ] as const) {
      const svc = await startService({ dialect, sync: option });
      try {
        const user = eventFixture('user.created');
        const org = eventFixture('organization.created');
        for (const e of [user, org]) await settled(svc, (await svc.send(e)).id, 'done');
        assert.equal((await userIds(svc)).includes(user.data.id), expectUser, JSON.stringify(option));
        const orgs = await svc.sync.database.db.selectFrom('clerk_organizations').select('id').execute();
        assert.equal(orgs.some((o) => o.id === org.data.id), expectOrg, JSON.stringify(option));
      } finally {
        await svc.close();
      }
    }
  });
});

describe('handler configuration errors say what to fix', () => {
  const base = { secret: newSecret(), database: ':memory:' };
  it('unknown event types and bad options', async () => {
    await assert.rejects(createClerkSync({ ...base, sync: { only: ['user.craeted' as never] } }), (e: Error) => e instanceof ConfigError && /did you mean user\.created, user\.updated, user\.deleted/.test(e.message));
    await assert.rejects(createClerkSync({ ...base, sync: { only: ['usr.*' as never] } }), /matches no Clerk event type; namespaces are .*user\.\*/);
    await assert.rejects(createClerkSync({ ...base, sync: { only: ['user.created'], except: ['user.deleted'] } as never }), /either \{ only: \[\.\.\.\] \} or \{ except/);
    await assert.rejects(createClerkSync({ ...base, handlerTimeoutMs: 0 }), /handlerTimeoutMs must be a positive number/);
    assert.throws(() => new EventHandlers().on('user.craeted' as never, () => {}), /"user\.craeted" is not a Clerk event type; did you mean/);
    assert.throws(() => new EventHandlers({ 'user.created': 'nope' as never }), /handlers\['user\.created'\] must be a function/);
    await assert.rejects(createClerkSync({ ...base, handlers: { 'user.created': 'nope' as never } }), (e: Error) => e instanceof ConfigError && /must be a function/.test(e.message));
  });
});
