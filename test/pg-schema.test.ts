/**
 * `--pg-schema clerk`: clerk-sync's tables, its migrations table and its NOTIFY channel live in
 * that schema, directly and through a transaction-mode PgBouncer, and an installation in `public`
 * of the same database neither sees nor wakes on its events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { eventFixture } from '../src/events/fixtures.js';
import { signWebhook } from '../src/verify/sign.js';
import { runCli, startServe } from './support/cli.js';
import { describeOn, freshDatabaseUrl, testTargets } from './support/db.js';
import { newSecret, waitFor } from './support/env.js';

async function query<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

const tablesIn = async (url: string, schema: string) =>
  (await query<{ table_name: string }>(url, 'select table_name from information_schema.tables where table_schema = $1 order by 1', [schema])).map((r) => r.table_name);

async function deliver(url: string, secret: string, firstName: string): Promise<string> {
  const event = eventFixture('user.created');
  event.data.first_name = firstName;
  const body = JSON.stringify(event);
  const res = await fetch(url, { method: 'POST', headers: signWebhook(body, secret).headers, body });
  assert.equal(res.status, 200, await res.text());
  return event.data.id;
}

for (const target of testTargets().filter((t) => t !== 'sqlite')) {
  describe(`--pg-schema clerk [${target}]`, () => {
    it('migrate puts every table, the migrations table included, in the schema and none in public', async () => {
      const url = await freshDatabaseUrl(target);
      const r = await runCli(['migrate', '--db', url, '--pg-schema', 'clerk']);
      assert.equal(r.code, 0, r.stderr);
      const tables = await tablesIn(url, 'clerk');
      assert.ok(tables.includes('clerk_users') && tables.includes('clerk_webhook_events') && tables.includes('clerk_sync_migrations'), tables.join(', '));
      assert.ok(tables.length >= 26, `${tables.length} tables`);
      assert.deepEqual(await tablesIn(url, 'public'), []);
      // Applied once: a second run has nothing to do, and read commands find the tables there.
      assert.equal((await runCli(['migrate', '--db', url], { CLERK_SYNC_PG_SCHEMA: 'clerk' })).code, 0);
      const list = await runCli(['events', 'list', '--db', url, '--pg-schema', 'clerk']);
      assert.equal(list.code, 0, list.stderr);
      const elsewhere = await runCli(['events', 'list', '--db', url]);
      assert.equal(elsewhere.code, 2, 'public has no clerk-sync tables');
    });

    it('serve stores, processes and syncs there, beside an installation in public that sees none of it', async () => {
      const url = await freshDatabaseUrl(target);
      const secret = newSecret();
      const inClerk = await startServe(['--db', url, '--pg-schema', 'clerk', '--secret', secret]);
      const inPublic = await startServe(['--db', url, '--secret', secret]);
      const ada = await deliver(inClerk.url, secret, 'Ada');
      const grace = await deliver(inPublic.url, secret, 'Grace');
      await waitFor(async () => (await query(url, "select 1 from clerk.clerk_webhook_events where status = 'done'")).length === 1, { what: 'the event processed in schema clerk' });
      await waitFor(async () => (await query(url, "select 1 from public.clerk_webhook_events where status = 'done'")).length === 1, { what: 'the event processed in public' });
      assert.deepEqual(await query(url, 'select id, first_name from clerk.clerk_users'), [{ id: ada, first_name: 'Ada' }]);
      assert.deepEqual(await query(url, 'select id, first_name from public.clerk_users'), [{ id: grace, first_name: 'Grace' }]);
      assert.match(inClerk.logs(), /"database":"postgres:\/\/[^"]+ \(schema clerk\)"/);
    });
  });
}

describeOn('postgres', '--pg-schema: the NOTIFY channel is the schema\'s own', () => {
  it('an insert into clerk.clerk_webhook_events notifies clerk_sync_events_clerk, not clerk_sync_events', async () => {
    const url = await freshDatabaseUrl('postgres');
    assert.equal((await runCli(['migrate', '--db', url, '--pg-schema', 'clerk'])).code, 0);
    assert.equal((await runCli(['migrate', '--db', url])).code, 0);
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.channel));
    try {
      await listener.query('listen clerk_sync_events; listen clerk_sync_events_clerk');
      const secret = newSecret();
      const serve = await startServe(['--db', url, '--pg-schema', 'clerk', '--secret', secret, '--no-worker']);
      await deliver(serve.url, secret, 'Ada');
      await waitFor(() => heard.length > 0, { what: 'a notification' });
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual([...new Set(heard)], ['clerk_sync_events_clerk']);
    } finally {
      await listener.end();
    }
  });

  it('a schema name that would need quoting is refused with what is allowed', async () => {
    const r = await runCli(['migrate', '--db', await freshDatabaseUrl('postgres'), '--pg-schema', 'Clerk-Data']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--pg-schema \(CLERK_SYNC_PG_SCHEMA\) must be a lower-case name of letters, digits and _/);
  });
});
