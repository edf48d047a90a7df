/**
 * `clerk-sync reconcile` against the Backend API stand-in: deletions as the *.deleted events
 * would make them, and every reason not to delete (an incomplete or shifted listing, a webhook
 * that was faster, another instance, the cap), the dry run, resuming, one run at a time.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { migrateToLatest } from '../src/store/migrate.js';
import { sqlDialect } from '../src/store/dialect.js';
import { SqlWriter } from '../src/store/sql-writer.js';
import { applyEvent } from '../src/sync/apply.js';
import type { Payload } from '../src/sync/values.js';
import { acquireLease, isLease } from '../src/store/lease.js';
import { RECONCILE_LEASE } from '../src/reconcile/run.js';
import { recentRuns } from '../src/reconcile/runs.js';
import { runCli } from './support/cli.js';
import { migratedDatabaseUrl, testDialects, testTargets, withDatabase } from './support/db.js';
import { apiInvitation, apiUser, apiWaitlistEntry, startMockClerkApi, type MockClerkApi, sampleInstance } from './support/mock-clerk-api.js';

const KEY = 'sk_test_reconcilereconcilereconcile';
const INSTANCE = 'ins_reconciletest0000000000001';
const T0 = 1_750_000_000_000;

const reconcile = (db: string, api: MockClerkApi, ...extra: string[]) =>
  runCli(['reconcile', '--db', db, '--api-url', api.url, '--page-size', '5', ...extra], { CLERK_SECRET_KEY: KEY }, 90_000);

const users = (url: string) => withDatabase(url, (d) => d.db.selectFrom('clerk_users').selectAll().orderBy('id').execute());
const live = async (url: string, table: 'clerk_users' | 'clerk_organizations' | 'clerk_organization_memberships') =>
  withDatabase(url, async (d) => (await d.db.selectFrom(table).select('id').where('deleted_at', 'is', null).orderBy('id').execute()).map((r) => r.id));

/** Applies webhook events straight through the sync, as the worker would. */
async function webhook(url: string, events: Array<{ type: string; data: object; at: number; instanceId?: string | null }>): Promise<void> {
  await withDatabase(url, async (database) => {
    await migrateToLatest(database);
    await database.db.transaction().execute(async (trx) => {
      for (const e of events) {
        await applyEvent(e.type, e.data as Payload, { sql: new SqlWriter(trx, sqlDialect(database.dialect)), eventTime: e.at, instanceId: e.instanceId === undefined ? INSTANCE : e.instanceId });
      }
    });
  });
}

/** Every synced table's rows, hashed: equal before and after means nothing was written. */
async function fingerprint(url: string, { runs = true } = {}): Promise<string> {
  return withDatabase(url, async (d) => {
    const hash = createHash('sha256');
    const tables = ['clerk_users', 'clerk_user_email_addresses', 'clerk_organizations', 'clerk_organization_memberships', 'clerk_sync_reconcile_progress', 'clerk_sync_reconcile_seen', 'clerk_sync_leases', 'clerk_sync_reconcile_runs'] as const;
    for (const table of tables.filter((t) => runs || t !== 'clerk_sync_reconcile_runs')) {
      hash.update(JSON.stringify(await d.db.selectFrom(table).selectAll().execute()));
    }
    return hash.digest('hex');
  });
}

for (const target of testTargets()) describe(`clerk-sync reconcile [${target}]`, () => {
  it('deletes what Clerk no longer lists as the *.deleted events would, and only that', async () => {
    const db = await migratedDatabaseUrl(target);
    const data = sampleInstance(T0, { users: 12, orgs: 3, memberships: 9 });
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, ...data });
    const first = await reconcile(db, api);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^users +12 +0 +0 +12 +0 +0 +0 +0$/m, 'the first run finds every user missing here');
    assert.match(first.stdout, /reconcile done for ins_reconciletest0000000000001: 24 applied \(0 newer in Clerk, 24 missing here\), 0 deleted/);

    // In Clerk, meanwhile: user 2 and organization 1 deleted (their webhooks lost), user 5 renamed.
    const gone = data.users[2]!;
    const goneOrg = data.organizations[1]!;
    api.users.splice(api.users.indexOf(gone), 1);
    api.organizations.splice(api.organizations.indexOf(goneOrg), 1);
    for (let i = api.memberships.length - 1; i >= 0; i--) {
      const m = api.memberships[i]!;
      if (m.organization.id === goneOrg.id || m.public_user_data.user_id === gone.id) api.memberships.splice(i, 1);
    }
    Object.assign(api.users[4]!, { first_name: 'Renamed', updated_at: T0 + 900_000 });
    // Here, meanwhile: a user of another instance, and one only a webhook has seen so far (created
    // in Clerk after the listing will start); neither is in Clerk's list, neither may go.
    const foreign = apiUser(T0, T0, { first_name: 'Foreign' });
    const fresh = apiUser(Date.now(), Date.now(), { first_name: 'Fresh' });
    await webhook(db, [
      { type: 'user.created', data: foreign, at: T0, instanceId: 'ins_someoneelse00000000000001' },
      { type: 'user.created', data: fresh, at: Date.now() },
    ]);

    const second = await reconcile(db, api, '--max-deletes', '50%');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^users +11 +10 +1 +0 +0 +1 +1 +0$/m);
    assert.match(second.stdout, /^organizations +2 +2 +0 +0 +0 +1 +1 +0$/m);
    const rows = await users(db);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const tomb = byId.get(gone.id)!;
    assert.notEqual(tomb.deleted_at, null, 'the user is tombstoned');
    assert.equal(tomb.first_name, null, 'and their personal data erased');
    assert.equal(tomb.primary_email_address, null);
    const emails = await withDatabase(db, (d) => d.db.selectFrom('clerk_user_email_addresses').select('id').where('user_id', '=', gone.id).execute());
    assert.equal(emails.length, 0, 'their email addresses are deleted');
    assert.equal(byId.get(data.users[4]!.id)!.first_name, 'Renamed');
    assert.equal(byId.get(foreign.id)!.deleted_at, null, 'rows of another instance are never touched');
    assert.equal(byId.get(fresh.id)!.deleted_at, null, 'a row changed after the listing started stays');
    const orgRow = await withDatabase(db, (d) => d.db.selectFrom('clerk_organizations').selectAll().where('id', '=', goneOrg.id).executeTakeFirstOrThrow());
    assert.notEqual(orgRow.deleted_at, null);
    // The memberships of the deleted user and organization are ended; the others are live.
    const expected = api.memberships.map((m) => m.id).sort();
    assert.deepEqual(await live(db, 'clerk_organization_memberships'), expected);

    const [run] = await withDatabase(db, (d) => recentRuns(d, 1));
    assert.equal(run!.status, 'succeeded');
    assert.equal(run!.trigger, 'cli');
    assert.equal(run!.instanceId, INSTANCE);
    assert.equal(run!.resources.users!.deleted, 1);
    assert.equal(run!.resources.users!.newer_in_clerk, 1);

    // Converged: a third run finds nothing to do.
    const third = await reconcile(db, api, '--json');
    assert.equal(third.code, 0, third.stderr);
    const result = JSON.parse(third.stdout);
    for (const [resource, c] of Object.entries<any>(result.resources)) {
      assert.equal(c.newer_in_clerk + c.missing_locally + c.gone_from_clerk, 0, `${resource} is in sync`);
      assert.equal(c.complete, true);
    }
  });
});

for (const dialect of testDialects()) describe(`clerk-sync reconcile, safety [${dialect}]`, () => {
  it('--dry-run prints the drift and writes nothing', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 8, orgs: 2, memberships: 4 });
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, ...data });
    assert.equal((await reconcile(db, api)).code, 0);
    api.users.splice(0, 2);
    Object.assign(api.users[0]!, { first_name: 'Changed', updated_at: T0 + 999_000 });
    api.users.push(apiUser(T0 + 500_000, T0 + 500_000));
    const before = await fingerprint(db);
    const r = await reconcile(db, api, '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^users +7 +5 +1 +1 +0 +2 +0 +0$/m);
    assert.match(r.stdout, /reconcile dry run for ins_reconciletest0000000000001: nothing written\. Would apply 2 \(1 newer in Clerk, 1 missing here\) and delete 2/);
    assert.equal(await fingerprint(db), before, 'no synced table, progress, mark, lease or run changed');
    assert.deepEqual((await withDatabase(db, (d) => recentRuns(d, 5))).map((x) => x.mode), ['apply'], 'no run row for the dry run');
    const json = JSON.parse((await reconcile(db, api, '--dry-run', '--json', '--only', 'users')).stdout);
    assert.equal(json.dryRun, true);
    assert.equal(json.resources.users.gone_from_clerk, 2);
    assert.equal(json.resources.users.deleted, 0);
  });

  it('a listing that fails half-way deletes nothing; the next run resumes and does', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 14, orgs: 2, memberships: 2 });
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, ...data });
    assert.equal((await reconcile(db, api, '--only', 'users')).code, 0);
    // Clerk fails for good on the third page (the client retries 5xx, then gives up).
    const third = data.users[10]!.id;
    api.users.splice(1, 1);
    api.fail = (path, query) => (path === '/v1/users' && query.get('starting_after') === third ? 502 : null);
    const failed = await reconcile(db, api, '--only', 'users');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`GET /users\\?limit=5&starting_after=${third}&order_by=%2Bcreated_at failed with 502 .*run the same command again to resume`));
    assert.equal((await live(db, 'clerk_users')).length, 14, 'nothing deleted after an incomplete listing');
    const [run] = await withDatabase(db, (d) => recentRuns(d, 1));
    assert.equal(run!.status, 'failed');
    assert.match(run!.error ?? '', /502/);

    api.fail = null;
    const before = api.requests.length;
    const resumed = await reconcile(db, api, '--only', 'users');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /users: resuming an interrupted run at offset 10 \(10 already listed\)/);
    const cursors = api.requests.slice(before).filter((x) => x.path === '/v1/users').map((x) => x.query.get('starting_after'));
    assert.deepEqual(cursors, [third], 'it went on where the failure stopped it');
    assert.deepEqual(await live(db, 'clerk_users'), api.users.map((u) => u.id).sort());
  });

  it('objects deleted in Clerk during the listing: the shift is noticed, the listing starts over, and deletes only once contiguous', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 15, orgs: 30, memberships: 0 });
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, ...data });
    assert.equal((await reconcile(db, api, '--only', 'users,organizations')).code, 0);
    // By offset (organizations): two before the cursor vanish between the first and second page,
    // so offsets shift by two, past the one id the next page re-reads: it would skip two.
    // By cursor (users): the user the next page starts after is deleted.
    const struck = { orgs: 0, users: false };
    const strikeOrgs = { times: 1 };
    api.fail = (path, query) => {
      if (path === '/v1/organizations' && query.get('offset') === '4' && struck.orgs < strikeOrgs.times) {
        struck.orgs++;
        api.organizations.splice(0, 2);
      }
      if (path === '/v1/users' && query.get('starting_after') === data.users[4]!.id && !struck.users) {
        struck.users = true;
        api.users.splice(api.users.indexOf(data.users[4]!), 1);
      }
      return null;
    };
    const r = await reconcile(db, api, '--only', 'users,organizations');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /organizations: objects were deleted in Clerk while listing organizations, so the listing may have skipped some: listing organizations again from the start/);
    assert.match(r.stderr, /users: the users listed last were all deleted in Clerk during the listing: listing users again from the start/);
    assert.deepEqual(await live(db, 'clerk_organizations'), api.organizations.map((o) => o.id).sort(), `converged in one run\n${r.stdout}\n${r.stderr}`);
    assert.deepEqual(await live(db, 'clerk_users'), api.users.map((u) => u.id).sort());
    const [run] = await withDatabase(db, (d) => recentRuns(d, 1));
    assert.equal(run!.resources.organizations!.relisted, 1);
    assert.equal(run!.resources.organizations!.deleted, 2);

    // Deletions in Clerk on every pass: after two more listings it gives up deleting, this run.
    struck.orgs = 0;
    strikeOrgs.times = 3;
    const before = await live(db, 'clerk_organizations');
    const busy = await reconcile(db, api, '--only', 'organizations', '--max-deletes', '50%');
    assert.equal(busy.code, 0, busy.stderr);
    assert.match(busy.stderr, /listing may have skipped some again: the listing may have skipped some, so nothing of it is deleted this run \(the next run will\)/);
    assert.deepEqual(await live(db, 'clerk_organizations'), before, 'nothing deleted from a listing that may have skipped some');
    const next = await reconcile(db, api, '--only', 'organizations', '--max-deletes', '50%');
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(await live(db, 'clerk_organizations'), api.organizations.map((o) => o.id).sort(), 'the next run deletes them');
  });

  it('where Clerk sends no deletion event, a row gone from its list is marked deleted_at; revoked invitations, listed apart, stay', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const invitations = [apiInvitation(T0, T0, { status: 'pending' }), apiInvitation(T0 + 1, T0 + 1, { status: 'pending' }), apiInvitation(T0 + 2, T0 + 5, { status: 'revoked', revoked: true })];
    const entries = [apiWaitlistEntry(T0, T0), apiWaitlistEntry(T0 + 1, T0 + 1)];
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, invitations, waitlistEntries: entries });
    const first = await reconcile(db, api, '--only', 'invitations,waitlist');
    assert.equal(first.code, 0, first.stderr);
    // /invitations lists the non-revoked ones; /invitations?status=revoked the others.
    assert.match(first.stdout, /^invitations +3 +0 +0 +3 /m);
    assert.ok(api.requests.some((x) => x.path === '/v1/invitations' && x.query.get('status') === 'revoked'));
    const ids = invitations.map((i) => i.id as string);
    api.invitations.splice(0, 1); // gone from Clerk (no event)
    api.waitlistEntries.splice(1, 1); // deleted in Clerk (no event)
    const r = await reconcile(db, api, '--only', 'invitations,waitlist');
    assert.equal(r.code, 0, r.stderr);
    const rows = await withDatabase(db, (d) => d.db.selectFrom('clerk_invitations').select(['id', 'status', 'deleted_at']).orderBy('created_at').execute());
    assert.deepEqual(rows.map((x) => [x.id, x.status, x.deleted_at === null ? 'live' : 'gone']), [
      [ids[0], 'pending', 'gone'],
      [ids[1], 'pending', 'live'],
      [ids[2], 'revoked', 'live'],
    ]);
    const waiting = await withDatabase(db, (d) => d.db.selectFrom('clerk_waitlist_entries').select(['id', 'deleted_at']).orderBy('created_at').execute());
    assert.deepEqual(waiting.map((x) => x.deleted_at === null), [true, false]);
  });

  it('the cap: an empty instance, or too many deletions, deletes nothing without --force or --max-deletes', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 40, orgs: 1, memberships: 0 });
    // Synced when webhooks carried no instance_id: nothing tells this data's instance from another.
    await webhook(db, data.users.map((u) => ({ type: 'user.created', data: u, at: u.updated_at, instanceId: null })));
    const empty = await startMockClerkApi({ secretKey: KEY, instanceId: 'ins_emptydev00000000000000001' });
    const refused = await reconcile(db, empty, '--only', 'users');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /users: Clerk lists no users at all, but 40 are stored: is CLERK_SECRET_KEY the key of the right instance\? Nothing deleted/);
    assert.match(refused.stdout, /deletions refused for users/);
    assert.equal((await live(db, 'clerk_users')).length, 40);
    assert.equal((await withDatabase(db, (d) => recentRuns(d, 1)))[0]!.status, 'capped');

    // Clerk still lists 28 of the 40: 12 gone is more than 5% (at least 10).
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, users: data.users.slice(12) });
    const capped = await reconcile(db, api, '--only', 'users');
    assert.equal(capped.code, 1);
    assert.match(capped.stderr, /12 of 40 stored users are gone from Clerk, more than the default cap \(5% of 40 stored, at least 10\) allows \(10\): nothing deleted\. .*rerun with --max-deletes 12 or --force/);
    assert.equal((await live(db, 'clerk_users')).length, 40);
    const small = await reconcile(db, api, '--only', 'users', '--max-deletes', '25%');
    assert.equal(small.code, 1, 'a cap of 25% (10) still refuses 12');
    const allowed = await reconcile(db, api, '--only', 'users', '--max-deletes', '12');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((await live(db, 'clerk_users')).length, 28);
  });

  it('a key of another instance than the tables hold is refused before anything is synced', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 5, orgs: 1, memberships: 0 });
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, ...data, otherInstances: [{ secretKey: 'sk_test_otherotherotherotherother', instanceId: 'ins_other0000000000000000001', users: [apiUser(T0, T0)] }] });
    assert.equal((await reconcile(db, api, '--only', 'users')).code, 0);
    const before = await fingerprint(db, { runs: false });
    const r = await runCli(['reconcile', '--db', db, '--api-url', api.url], { CLERK_SECRET_KEY: 'sk_test_otherotherotherotherother' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the secret key is for Clerk instance ins_other0000000000000000001, but the synced tables hold ins_reconciletest0000000000001's data/);
    assert.equal(await fingerprint(db, { runs: false }), before, 'nothing synced, marked or leased');
    const [run] = await withDatabase(db, (d) => recentRuns(d, 1));
    assert.equal(run!.status, 'failed', 'the refusal is recorded, for the dashboard and an alert');
    assert.match(run!.error ?? '', /the secret key is for Clerk instance ins_other/);
  });

  it('an object the sync refuses fails alone; the rest of its page is applied', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const users = sampleInstance(T0, { users: 5, orgs: 1, memberships: 0 }).users;
    users.splice(2, 0, apiUser(T0 + 2500, T0 + 2500, { id: 42 }));
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, users });
    const r = await reconcile(db, api, '--only', 'users');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /could not sync users \(no id\): user payload has no string `id`; cannot sync it/);
    assert.match(r.stdout, /^users +6 .* 1$/m);
    assert.equal((await live(db, 'clerk_users')).length, 5);
  });

  it('one reconcile at a time: a second one is refused while the lease is held', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, ...sampleInstance(T0, { users: 2, orgs: 1, memberships: 0 }) });
    await withDatabase(db, async (d) => {
      const lease = await acquireLease(d, RECONCILE_LEASE, 'another-process', 60_000);
      assert.ok(isLease(lease));
      const r = await reconcile(db, api);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /another reconcile is running \(another-process\); one runs at a time across all processes/);
      await lease.release();
    });
    assert.equal((await reconcile(db, api)).code, 0, 'and runs once it is free');
  });

  it('waits out 429s and retries 5xx', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const api = await startMockClerkApi({ secretKey: KEY, instanceId: INSTANCE, ...sampleInstance(T0, { users: 9, orgs: 1, memberships: 0 }), rateLimit: { requests: 4, windowMs: 1000 } });
    let failures = 0;
    api.fail = (path) => (path === '/v1/organizations' && failures++ < 1 ? 503 : null);
    const r = await reconcile(db, api, '--only', 'users,organizations');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /rate limited by Clerk \(429\): waiting 1s as its Retry-After asks/);
    assert.match(r.stderr, /Clerk did not answer \(HTTP 503\); retrying in 1s/);
    assert.equal((await live(db, 'clerk_users')).length, 9);
  });
});
