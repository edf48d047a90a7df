/**
 * Reconcile on a schedule: `serve --reconcile-every` in the background (one run at a time across
 * processes), the serverless drain resuming a run across calls, and what /metrics exports.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClerkSync } from '../src/clerk-sync.js';
import { recentRuns } from '../src/reconcile/runs.js';
import { reconcileDue } from '../src/reconcile/schedule.js';
import { parsePrometheus } from './support/admin.js';
import { runCli, startServe } from './support/cli.js';
import { freshDatabaseUrl, migratedDatabaseUrl, testDialects, withDatabase } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';
import { apiOrganization, apiUser, startMockClerkApi } from './support/mock-clerk-api.js';

const KEY = 'sk_test_schedulescheduleschedule';
const INSTANCE = 'ins_scheduletest000000000000001';
const T0 = 1_750_000_000_000;

const someUsers = (n: number) => Array.from({ length: n }, (_, i) => apiUser(T0 + i * 1000, T0 + i * 1000, { first_name: `U${i}` }));

for (const dialect of testDialects()) describe(`reconcile on a schedule [${dialect}]`, () => {
  it('serve --reconcile-every runs it in the background, once across two processes, and /metrics shows it', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, users: someUsers(30), organizations: [apiOrganization(T0, T0)] });
    const env = { CLERK_SECRET_KEY: KEY, CLERK_WEBHOOK_SIGNING_SECRET: newSecret() };
    const args = ['--db', db, '--reconcile-every', '1h', '--clerk-api-url', api.url, '--log-level', 'debug'];
    // Two processes on one database; on SQLite, the second only receives (one writer process).
    const [a, b] = await Promise.all([startServe(args, env), dialect === 'postgres' ? startServe(args, env) : null]);
    const run = await waitFor(async () => {
      const [r] = await withDatabase(db, (d) => recentRuns(d, 5));
      return r && r.status !== 'running' ? r : undefined;
    }, { timeoutMs: 30_000, what: 'a scheduled run to finish' });
    assert.equal(run.trigger, 'schedule');
    assert.equal(run.status, 'succeeded', run.error ?? '');
    assert.equal(run.resources.users!.missing_locally, 30);
    const count = await withDatabase(db, async (d) => Number((await d.db.selectFrom('clerk_users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n));
    assert.equal(count, 30);
    // A few check intervals later there is still one run: it is not due again for an hour, and the
    // other process either lost the lease race or found it done.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.equal((await withDatabase(db, (d) => recentRuns(d, 5))).length, 1);
    if (b) assert.match(a.logs() + b.logs(), /reconcile: another process runs it|"msg":"reconcile: succeeded"/);

    const metrics = await fetch(`http://127.0.0.1:${a.port}/metrics`).then((r) => r.text());
    const { samples, types } = parsePrometheus(metrics);
    assert.equal(types.get('clerk_sync_reconcile_drift'), 'gauge');
    assert.equal(samples.get('clerk_sync_reconcile_drift{resource="users",kind="missing_locally"}'), 30);
    assert.equal(samples.get('clerk_sync_reconcile_drift{resource="users",kind="gone_from_clerk"}'), 0);
    assert.equal(samples.get('clerk_sync_reconcile_last_run_succeeded'), 1);
    assert.ok(Math.abs(samples.get('clerk_sync_reconcile_last_success_timestamp_seconds')! - Date.now() / 1000) < 60);
  });

  it('serve --reconcile-every without a Backend API key: exit 2 and what to set', async () => {
    const r = await runCli(['serve', '--db', await freshDatabaseUrl(dialect), '--port', '0', '--reconcile-every', '24h'], { CLERK_WEBHOOK_SIGNING_SECRET: newSecret(), CLERK_SECRET_KEY: undefined });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /reconciling on a schedule reads Clerk's Backend API: set CLERK_SECRET_KEY to the instance's Secret Key/);
    const short = await runCli(['serve', '--db', await freshDatabaseUrl(dialect), '--port', '0', '--reconcile-every', '5s'], { CLERK_WEBHOOK_SIGNING_SECRET: newSecret(), CLERK_SECRET_KEY: KEY });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /a reconcile interval must be at least 1m/);
  });

  it('on a serverless host the drain route runs it within its budget and resumes it on the next call', async () => {
    const url = await freshDatabaseUrl(dialect);
    // Slow enough that one budget cannot hold it: 2 requests a second, 13 pages.
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, users: someUsers(100), rateLimit: { requests: 2, windowMs: 1000 } });
    const sync = await createClerkSync({ database: url, secret: newSecret(), serverless: true, reconcile: { everyMs: 86_400_000, secretKey: KEY, apiUrl: api.url, resources: ['users'], pageSize: 10 } });
    await sync.start();
    try {
      const first = await sync.drain({ budgetMs: 3_000 });
      assert.deepEqual(first.reconcile?.status, 'interrupted');
      let last = first;
      for (let i = 0; i < 30 && last.reconcile?.status !== 'succeeded'; i++) last = await sync.drain({ budgetMs: 3_000 });
      assert.equal(last.reconcile?.status, 'succeeded');
      const runs = await recentRuns(sync.database, 50);
      assert.ok(runs.length >= 3 && runs.every((r) => r.trigger === 'drain'));
      assert.equal(runs[0]!.resources.users!.listed, 100, 'the last call counts the whole listing, resumed');
      assert.equal(Number((await sync.database.db.selectFrom('clerk_users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 100);
      // Done for today: the next call does not start another.
      assert.equal((await sync.drain({ budgetMs: 3_000 })).reconcile, undefined);
      assert.equal(await reconcileDue(sync.database, 86_400_000), false);
      assert.equal(await reconcileDue(sync.database, 86_400_000, Date.now() + 86_400_001), true);
    } finally {
      await sync.stop();
    }
  });
});
