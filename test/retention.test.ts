/**
 * Retention: `clerk-sync purge` and the hourly job of `serve --retention` / `worker --retention`
 * delete finished events older than a duration, with their attempts, never waiting ones, and
 * record what they did in the audit log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { createLogger } from '../src/log.js';
import { startRetentionJob } from '../src/worker/retention-job.js';
import { runCli } from './support/cli.js';
import { freshDatabaseUrl, testTargets } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';
import { startService, type TestService } from './support/service.js';

const DAY = 86_400_000;

/** 6 events: 4 old (3 done, 1 failed and waiting) and 2 recent; returns their ids by kind. */
async function seed(svc: TestService) {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await svc.send(eventFixture('user.created'))).id);
  const db = svc.sync.database.db;
  await waitFor(async () => (await db.selectFrom('clerk_webhook_events').select('svix_id').where('status', '=', 'done').execute()).length === 6, { what: 'all processed' });
  const old = ids.slice(0, 4);
  await db.updateTable('clerk_webhook_events').set({ received_at: Date.now() - 40 * DAY }).where('svix_id', 'in', old).execute();
  await db.updateTable('clerk_webhook_events').set({ status: 'failed', next_attempt_at: Date.now() + DAY }).where('svix_id', '=', old[3]!).execute();
  return { oldDone: old.slice(0, 3), oldWaiting: old[3]!, recent: ids.slice(4) };
}

for (const target of testTargets()) {
  describe(`retention [${target}]`, () => {
    it('clerk-sync purge --older-than 30d: counts in a dry run, then deletes old finished events and their attempts, keeps waiting and recent ones, and audits', async () => {
      const url = await freshDatabaseUrl(target);
      const svc = await startService({ dialect: target, database: url, worker: { pollIntervalMs: 20 } });
      try {
        const { oldDone, oldWaiting, recent } = await seed(svc);
        const dry = await runCli(['purge', '--older-than', '30d', '--dry-run', '--db', url]);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, /^3 events \(done, skipped\) received before .* would be purged$/m);
        assert.equal((await svc.sync.database.db.selectFrom('clerk_webhook_events').select('svix_id').execute()).length, 6, 'a dry run deletes nothing');

        const run = await runCli(['purge', '--older-than', '30d', '--db', url]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^purged 3 events \(done, skipped\)/m);
        const db = svc.sync.database.db;
        const left = (await db.selectFrom('clerk_webhook_events').select('svix_id').execute()).map((r) => r.svix_id).sort();
        assert.deepEqual(left, [oldWaiting, ...recent].sort(), 'waiting and recent events stay');
        const attempts = await db.selectFrom('clerk_webhook_attempts').select('svix_id').where('svix_id', 'in', oldDone).execute();
        assert.deepEqual(attempts, [], 'their attempts go with them');
        const audit = await db.selectFrom('clerk_sync_admin_actions').selectAll().where('action', '=', 'purge').execute();
        assert.equal(audit.length, 1);
        assert.equal(audit[0]!.actor, 'cli');
        assert.equal(audit[0]!.count, 3);
      } finally {
        await svc.close();
      }
    });

    it('the retention job purges on its schedule and audits as retention', async () => {
      const svc = await startService({ dialect: target, worker: { pollIntervalMs: 20 } });
      try {
        const { oldDone } = await seed(svc);
        const job = startRetentionJob(svc.sync.database, 30 * DAY, createLogger('silent'), { everyMs: 60_000, firstAfterMs: 10 });
        const db = svc.sync.database.db;
        await waitFor(async () => (await db.selectFrom('clerk_webhook_events').select('svix_id').where('svix_id', 'in', oldDone).execute()).length === 0, { what: 'the purge' });
        await job.stop();
        await waitFor(async () => (await db.selectFrom('clerk_sync_admin_actions').select('actor').where('action', '=', 'purge').execute()).some((a) => a.actor === 'retention'), { what: 'the audit row' });
      } finally {
        await svc.close();
      }
    });

    it('on a serverless host, where no job runs, the scheduler\'s drain() purges, at most hourly', async () => {
      const svc = await startService({ dialect: target, serverless: true, retentionMs: 30 * DAY });
      try {
        const { oldDone, oldWaiting } = await seed(svc);
        const first = await svc.sync.drain();
        assert.equal(first.purged, 3);
        const db = svc.sync.database.db;
        assert.deepEqual(await db.selectFrom('clerk_webhook_events').select('svix_id').where('svix_id', 'in', oldDone).execute(), []);
        assert.equal((await db.selectFrom('clerk_webhook_events').select('svix_id').where('svix_id', '=', oldWaiting).execute()).length, 1);
        const audit = await db.selectFrom('clerk_sync_admin_actions').selectAll().where('action', '=', 'purge').execute();
        assert.deepEqual(audit.map((a) => [a.actor, a.count]), [['retention', 3]]);
        assert.equal((await svc.sync.drain()).purged, undefined, 'not again within the hour');
      } finally {
        await svc.close();
      }
    });
  });
}

describe('retention refuses to purge what Svix may still send', () => {
  it('purge --older-than under 2 days needs --force; serve and worker refuse --retention under 2 days', async () => {
    const db = await freshDatabaseUrl('sqlite');
    assert.equal((await runCli(['migrate', '--db', db])).code, 0);
    const purge = await runCli(['purge', '--older-than', '12h', '--db', db]);
    assert.equal(purge.code, 2);
    assert.match(purge.stderr, /--older-than under 2d .* pass --force/);
    assert.equal((await runCli(['purge', '--older-than', '12h', '--force', '--db', db])).code, 0);
    const serve = await runCli(['serve', '--port', '0', '--retention', '1d', '--db', db], { CLERK_WEBHOOK_SIGNING_SECRET: newSecret() });
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /retention must be at least 2 days/);
    const worker = await runCli(['worker', '--retention', '1d', '--db', db]);
    assert.equal(worker.code, 2);
    assert.match(worker.stderr, /--retention must be at least 2d/);
  });
});
