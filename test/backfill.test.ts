import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { eventFixture } from '../src/events/fixtures.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { sqlDialect } from '../src/store/dialect.js';
import { SqlWriter } from '../src/store/sql-writer.js';
import { applyEvent } from '../src/sync/apply.js';
import type { Payload } from '../src/sync/values.js';
import { retryAfterMs } from '../src/reconcile/clerk-api.js';
import { CLI, runCli } from './support/cli.js';
import { migratedDatabaseUrl, testTargets } from './support/db.js';
import { waitFor } from './support/env.js';
import { apiUser, startMockClerkApi, type MockClerkApi, sampleInstance } from './support/mock-clerk-api.js';

const KEY = 'sk_test_mockmockmockmockmockmockmock';
const T0 = 1_750_000_000_000;

const backfill = (db: string, api: MockClerkApi, ...extra: string[]) =>
  runCli(['backfill', '--db', db, '--api-url', api.url, '--page-size', '5', ...extra], { CLERK_SECRET_KEY: KEY }, 60_000);

async function count(db: string, table: 'clerk_users' | 'clerk_organizations' | 'clerk_organization_memberships'): Promise<number> {
  const database = await openDatabase(db);
  try {
    const r = await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  } finally {
    await database.close();
  }
}

const paged = (api: MockClerkApi, path: string) => api.requests.filter((r) => r.path === path && r.status === 200).map((r) => Number(r.query.get('offset')));

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(null), 1000);
    assert.equal(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now()) > 3000, true);
  });
});

for (const dialect of testTargets()) describe(`clerk-sync backfill [${dialect}]`, () => {
  it('imports every page of users, organizations and memberships, waiting out 429s', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 23, orgs: 6, memberships: 11 });
    const api = await startMockClerkApi({ secretKey: KEY, ...data, rateLimit: { requests: 6, windowMs: 1000 }, instanceId: 'ins_backfilltest00000000000001' });
    const r = await backfill(db, api);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /backfill done for ins_backfilltest00000000000001: users 23 imported; organizations 6 imported; memberships 11 imported/);
    assert.match(r.stderr, /rate limited by Clerk \(429\): waiting 1s as its Retry-After asks/);
    const limited = api.requests.filter((x) => x.status === 429);
    assert.ok(limited.length >= 1, 'the mock rate-limited at least once');
    // After a 429 the same request came back only once the window had passed.
    for (const l of limited) {
      const next = api.requests.find((x) => x.at >= l.at && x !== l && x.status === 200 && x.path === l.path && String(x.query) === String(l.query));
      assert.ok(next && next.at - l.at >= 900, `retried ${l.path} after ${next ? next.at - l.at : '?'} ms`);
    }
    // Users go by cursor, as Clerk's docs ask (a large offset gets slow): after the last id of each page.
    const after = (path: string) => api.requests.filter((r) => r.path === path && r.status === 200).map((r) => r.query.get('starting_after'));
    assert.deepEqual(after('/v1/users'), [null, ...[4, 9, 14, 19].map((i) => data.users[i]!.id)]);
    // The others by offset, each page after the first re-reading the last id of the one before
    // (overlap 1 at page size 5), proving them contiguous.
    assert.deepEqual(paged(api, '/v1/organizations'), [0, 4]);
    assert.ok(api.requests.filter((x) => x.path === '/v1/users').every((x) => x.query.get('limit') === '5' && x.query.get('order_by') === '+created_at'));
    assert.equal(await count(db, 'clerk_users'), 23);
    assert.equal(await count(db, 'clerk_organizations'), 6);
    assert.equal(await count(db, 'clerk_organization_memberships'), 11);
    assert.match(r.stderr, /^users {2}100% {2}23\/23 {2}[\d.]+\/s$/m, 'the plain progress lines show counts and rate');

    const database = await openDatabase(db);
    try {
      const u = await database.db.selectFrom('clerk_users').selectAll().where('id', '=', data.users[3]!.id).executeTakeFirstOrThrow();
      assert.equal(u.first_name, 'User3');
      assert.equal(u.instance_id, 'ins_backfilltest00000000000001');
      assert.equal(Number(u.updated_at), T0 + 3500);
      assert.equal(u.primary_email_address, data.users[3]!.email_addresses[0].email_address);
      const progress = await database.db.selectFrom('clerk_sync_backfill').selectAll().where('resource', 'in', ['users', 'organizations', 'organization_memberships']).orderBy('resource').execute();
      assert.deepEqual(progress.map((p) => [p.resource, p.status, Number(p.imported), Number(p.next_offset)]), [
        ['organization_memberships', 'done', 11, 11],
        ['organizations', 'done', 6, 6],
        ['users', 'done', 23, 23],
      ]);
    } finally {
      await database.close();
    }

    // A second run (nothing interrupted) imports everything again, idempotently.
    const again = await backfill(db, api, '--only', 'users');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /users 23 imported/);
    assert.equal(await count(db, 'clerk_users'), 23);
  });

  it('never overwrites newer webhook data, and never resurrects a deleted user', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const olderInApi = apiUser(T0, T0 + 1000, { first_name: 'FromApi' });
    const deletedSince = apiUser(T0, T0 + 1000, { first_name: 'Ghost' });
    const newerInApi = apiUser(T0, T0 + 9000, { first_name: 'Fresh' });
    // What webhooks already brought: a newer version of one user, the deletion of another, an old version of the third.
    const database = await openDatabase(db);
    try {
      await migrateToLatest(database);
      await database.db.transaction().execute(async (trx) => {
        const ctx = (eventTime: number) => ({ sql: new SqlWriter(trx, sqlDialect(database.dialect)), eventTime, instanceId: 'ins_mock000000000000000000001' });
        await applyEvent('user.updated', { ...olderInApi, first_name: 'FromWebhook', updated_at: T0 + 5000 } as Payload, ctx(T0 + 5000));
        await applyEvent('user.created', { ...deletedSince } as Payload, ctx(T0 + 1000));
        const deleted = eventFixture('user.deleted').data as unknown as Payload;
        await applyEvent('user.deleted', { ...deleted, id: deletedSince.id }, ctx(T0 + 2000));
        await applyEvent('user.created', { ...newerInApi, first_name: 'Stale', updated_at: T0 + 100 } as Payload, ctx(T0 + 100));
      });
    } finally {
      await database.close();
    }
    const api = await startMockClerkApi({ secretKey: KEY, users: [olderInApi, deletedSince, newerInApi] });
    const r = await backfill(db, api, '--only', 'users');
    assert.equal(r.code, 0, r.stderr);
    const check = await openDatabase(db);
    try {
      const byId = async (id: string) => check.db.selectFrom('clerk_users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const kept = await byId(olderInApi.id);
      assert.equal(kept.first_name, 'FromWebhook', 'the newer webhook data stays');
      assert.equal(Number(kept.updated_at), T0 + 5000);
      const ghost = await byId(deletedSince.id);
      assert.notEqual(ghost.deleted_at, null, 'the tombstone stays');
      assert.equal(ghost.first_name, null, 'and stays erased');
      const emails = await check.db.selectFrom('clerk_user_email_addresses').select('id').where('user_id', '=', deletedSince.id).execute();
      assert.equal(emails.length, 0);
      const fresh = await byId(newerInApi.id);
      assert.equal(fresh.first_name, 'Fresh', 'older stored data is updated');
    } finally {
      await check.close();
    }
  });

  it('interrupted (killed mid-run), then resumed where it stopped', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 17, orgs: 2, memberships: 3 });
    const api = await startMockClerkApi({ secretKey: KEY, ...data });
    api.hold = (path, query) => path === '/v1/users' && query.get('starting_after') === data.users[9]!.id;
    const child = spawn(process.execPath, [...CLI, 'backfill', '--db', db, '--api-url', api.url, '--page-size', '5'], {
      cwd: fileURLToPath(new URL('../', import.meta.url)),
      env: { ...process.env, CLERK_SECRET_KEY: KEY, DATABASE_URL: undefined } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await waitFor(() => api.requests.some((x) => x.status === 'held'), { timeoutMs: 30_000, what: 'the held request' });
    child.kill('SIGKILL');
    await exited;
    assert.equal(await count(db, 'clerk_users'), 10, 'the two committed pages are in');

    api.hold = null;
    const before = api.requests.length;
    const r = await backfill(db, api);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /users: resuming an interrupted run at offset 10 \(10 already listed\)/);
    const resumed = api.requests.slice(before).filter((x) => x.path === '/v1/users').map((x) => x.query.get('starting_after'));
    assert.deepEqual(resumed, [data.users[9]!.id, data.users[14]!.id], 'no page fetched twice');
    assert.match(r.stdout, /users 17 imported; organizations 2 imported; memberships 3 imported/, 'counts include what the interrupted run imported');
    assert.equal(await count(db, 'clerk_users'), 17);
    assert.equal(await count(db, 'clerk_organization_memberships'), 3);
  });

  it('falls back to per-organization memberships when the instance-wide list is missing', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const data = sampleInstance(T0, { users: 7, orgs: 3, memberships: 7 });
    const api = await startMockClerkApi({ secretKey: KEY, ...data, noInstanceMembershipList: true });
    const r = await backfill(db, api, '--page-size', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await count(db, 'clerk_organization_memberships'), 7);
    assert.ok(api.requests.some((x) => /^\/v1\/organizations\/org_[^/]+\/memberships$/.test(x.path)));
  });

  it('a wrong secret key: Clerk\'s 401, and what to set (exit 1); no key at all: exit 2', async () => {
    const db = await migratedDatabaseUrl(dialect);
    const api = await startMockClerkApi({ secretKey: KEY });
    const r = await runCli(['backfill', '--db', db, '--api-url', api.url], { CLERK_SECRET_KEY: 'sk_test_wrongwrongwrong' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Clerk rejected the secret key \(401 clerk_key_invalid: The provided Clerk Secret Key is invalid/);
    assert.match(r.stderr, /Set CLERK_SECRET_KEY \(or --secret-key\) to the instance's Secret Key from Clerk Dashboard → API keys/);
    assert.ok(!r.stderr.includes('sk_test_wrongwrongwrong'), 'the key is never printed');
    const none = await runCli(['backfill', '--db', db, '--api-url', api.url]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no Clerk Secret Key: set CLERK_SECRET_KEY/);
    const whsec = await runCli(['backfill', '--db', db, '--api-url', api.url], { CLERK_SECRET_KEY: 'whsec_abc' });
    assert.equal(whsec.code, 2);
    assert.match(whsec.stderr, /holds a webhook signing secret/);
  });
});
