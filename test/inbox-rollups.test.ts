/**
 * The inbox's counters (clerk_webhook_event_counts, clerk_webhook_event_activity) against the
 * inbox itself: after a real workload through real receivers and workers (new events,
 * duplicates, types outside the catalog, handler failures retried and gone dead, replays, a
 * purge), with two workers racing on PostgreSQL, the counts equal a `group by status` over the
 * inbox, and the activity equals a recount of the inbox and its attempt log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { createClerkSync } from '../src/clerk-sync.js';
import { eventFixture } from '../src/events/fixtures.js';
import { replayEvents } from '../src/inbox/replay.js';
import { purgeEvents } from '../src/inbox/retention.js';
import { eventStats } from '../src/inbox/stats.js';
import { recountInbox } from '../src/store/migrations/010-inbox-rollups.js';
import { signWebhook } from '../src/verify/index.js';
import { runCli } from './support/cli.js';
import { freshDatabaseUrl, migratedDatabaseUrl, testTargets, withDatabase } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';

async function counters(db: Kysely<any>) {
  const { rows: counts } = await sql<{ status: string; n: number }>`select status, sum(n) as n from clerk_webhook_event_counts group by status having sum(n) <> 0 order by status`.execute(db);
  const { rows: activity } = await sql<Record<string, number>>`select sum(received) as received, sum(queued) as queued, sum(processed) as processed, sum(failed) as failed,
    sum(dead) as dead, sum(lag_count) as lag_count from clerk_webhook_event_activity`.execute(db);
  return {
    counts: Object.fromEntries(counts.map((r) => [r.status, Number(r.n)])),
    activity: Object.fromEntries(Object.entries(activity[0]!).map(([k, v]) => [k, Number(v)])),
  };
}

for (const target of testTargets()) {
  describe(`the inbox's counters follow every write [${target}]`, () => {
    it('equal a recount of the inbox after receipts, duplicates, failures, retries, dead events, replays and a purge', async () => {
      const secret = newSecret();
      const database = await freshDatabaseUrl(target);
      let failing = true;
      const sync = await createClerkSync({
        database,
        secret,
        // Two workers racing for the events on PostgreSQL (their counter rows are their own).
        worker: { concurrency: target === 'sqlite' ? 1 : 2, batchSize: 16, retrySchedule: [20, 20], pollIntervalMs: 20 },
        handlers: {
          'user.updated': async (event) => {
            if (failing && event.data.first_name === 'fails') throw new Error('on purpose');
          },
        },
      });
      await sync.start();
      const db = sync.database.db;
      try {
        const deliver = async (event: unknown, id?: string) => {
          const body = JSON.stringify(event);
          const signed = signWebhook(body, secret, { id });
          const r = await sync.handleRequest(new Request('http://localhost/api/webhooks', { method: 'POST', headers: { ...signed.headers, 'content-type': 'application/json' }, body }));
          assert.equal(r.status, 200, await r.text());
          return signed.id;
        };
        const sent: string[] = [];
        for (let i = 0; i < 60; i++) {
          const type = (['user.created', 'user.updated', 'session.created', 'organization.created'] as const)[i % 4];
          const event = eventFixture(type);
          if (type === 'user.updated' && i % 8 === 1) (event.data as { first_name: string }).first_name = 'fails';
          sent.push(await deliver(event));
        }
        await deliver({ type: 'not.in.catalog', data: { id: 'x_1' }, object: 'event' }); // stored skipped
        await deliver(eventFixture('user.created'), sent[0]); // a duplicate: stored once
        await Promise.all(sent.slice(0, 20).map((id, i) => deliver(eventFixture('session.created'), `${id}_again_${i}`)));

        await waitFor(async () => {
          const { rows } = await sql<{ n: number }>`select count(*) as n from clerk_webhook_events where status in ('pending', 'failed')`.execute(db);
          return Number(rows[0]!.n) === 0;
        }, { what: 'every event done or dead', timeoutMs: 20_000 });
        const dead = await db.selectFrom('clerk_webhook_events').select('svix_id').where('status', '=', 'dead').execute();
        assert.ok(dead.length > 0, 'some events went dead');

        failing = false;
        const replayed = await replayEvents(sync.database, { statuses: ['dead'] }, { notify: () => sync.worker?.notify() });
        assert.equal(replayed.requeued, dead.length);
        await replayEvents(sync.database, { types: ['organization.created'] }, { notify: () => sync.worker?.notify() });
        await waitFor(async () => {
          const { rows } = await sql<{ n: number }>`select count(*) as n from clerk_webhook_events where status <> 'done' and status <> 'skipped'`.execute(db);
          return Number(rows[0]!.n) === 0;
        }, { what: 'the replays applied', timeoutMs: 20_000 });
        const purged = await purgeEvents(sync.database, { before: Date.now() + 1, statuses: ['skipped'] });
        assert.equal(purged.purged, 1);

        const kept = await counters(db);
        const { rows: truth } = await sql<{ status: string; n: number }>`select status, count(*) as n from clerk_webhook_events group by status order by status`.execute(db);
        assert.deepEqual(kept.counts, Object.fromEntries(truth.map((r) => [r.status, Number(r.n)])), 'counts by status equal the inbox');

        // The activity as a recount from the inbox and the attempt log sees it. The recount cannot
        // know what is not in them: the purged event (gone from the inbox, history in the
        // activity), what the replays queued, and the second processing of replayed done events.
        await recountInbox(db);
        const recounted = (await counters(db)).activity;
        const organizations = 15;
        assert.deepEqual(kept.activity, {
          ...recounted,
          received: recounted.received! + 1,
          queued: recounted.queued! + dead.length + organizations,
          processed: recounted.processed! + organizations,
        });
        assert.equal(kept.activity.received, 60 + 1 + 20);

        const stats = await eventStats(sync.database);
        assert.equal(stats.total, 60 + 20);
        assert.equal(stats.by_status.done, 80);
        assert.equal(stats.backlog, 0);
        assert.equal(stats.buckets.at(-1)!.backlog, 0);
      } finally {
        await sync.stop();
      }
    });
  });
}

for (const target of testTargets()) {
  describe(`clerk-sync events recount [${target}]`, () => {
    it('corrects the counts after rows written around clerk-sync, says what it changed, and leaves right counts alone', async () => {
      const url = await migratedDatabaseUrl(target);
      await withDatabase(url, async ({ db }) => {
        // Three events written by hand, as a process without the counters would.
        const row = (svix_id: string, status: 'done' | 'pending') => ({ svix_id, type: 'user.created', status, headers: '{}', body: '{}', received_at: Date.now(), next_attempt_at: Date.now(), entity_id: 'user_1' });
        await db.insertInto('clerk_webhook_events').values([row('msg_hand_1', 'done'), row('msg_hand_2', 'done'), row('msg_hand_3', 'pending')]).execute();
      });
      const env = { DATABASE_URL: url };
      const first = await runCli(['events', 'recount'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /recounted 3 events in [\d.]+ s; corrected pending 0 -> 1, done 0 -> 2/);

      const second = await runCli(['events', 'recount', '--activity', '--json'], env);
      assert.equal(second.code, 0, second.stderr);
      const result = JSON.parse(second.stdout);
      assert.deepEqual(result.before, result.after);
      assert.equal(result.after.done, 2);
      assert.equal(result.activity, true);
      await withDatabase(url, async (database) => {
        const kept = await counters(database.db);
        assert.deepEqual(kept.counts, { done: 2, pending: 1 });
        assert.equal(kept.activity.received, 3);
        assert.equal((await eventStats(database)).total, 3);
        const audit = await database.db.selectFrom('clerk_sync_admin_actions').select(['action', 'target']).where('action', '=', 'recount').execute();
        assert.deepEqual(audit, [{ action: 'recount', target: 'pending 0 -> 1, done 0 -> 2' }]);
      });
    });
  });
}
