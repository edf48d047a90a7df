import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/store/database.js';
import { sql, type Migration } from 'kysely';
import type { DialectName } from '../src/store/dialect.js';
import { migrateToLatest, migrations, pendingMigrations } from '../src/store/migrate.js';
import { introspect } from './support/introspect.js';
import { runCli } from './support/cli.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';

for (const dialect of testDialects()) describe(`clerk-sync migrate [${dialect}]`, () => {
  it('is safe to run from several processes at once', async () => {
    const url = await freshDatabaseUrl(dialect);
    const runs = await Promise.all([1, 2, 3, 4].map(() => runCli(['migrate', '--db', url])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const applied = runs.filter((r) => /^applied /m.test(r.stdout));
    assert.equal(applied.length, 1, 'exactly one process applied the migrations');
    assert.equal(runs.filter((r) => /is up to date/.test(r.stdout)).length, 3);
    const database = await openDatabase(url);
    try {
      assert.deepEqual(await pendingMigrations(database.db, database.dialect), []);
      const again = await runCli(['migrate', '--db', url]);
      assert.match(again.stdout, /is up to date/);
    } finally {
      await database.close();
    }
  });
});

/** The database as 008 left it. */
const BEFORE_009 = (dialect: DialectName): Array<[string, Migration]> => migrations(dialect).filter(([name]) => name < '009');

for (const dialect of testDialects()) describe(`migration 009: a user's child rows get a primary key (user_id, id) [${dialect}]`, () => {
  it('keeps the addressable rows, drops those without an id and the duplicates, and keeps the other indexes', async () => {
    const database = await openDatabase(await freshDatabaseUrl(dialect));
    try {
      const db = database.db;
      // The database as 008 left it: the earlier migrations, recorded as applied.
      await sql`create table clerk_sync_migrations (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(db);
      for (const [name, migration] of BEFORE_009(dialect)) {
        await migration.up(db);
        await sql`insert into clerk_sync_migrations (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(db);
      }
      const row = (user: string, id: string | null, address: string) =>
        sql`insert into clerk_user_email_addresses (id, user_id, email_address, is_primary) values (${id}, ${user}, ${address}, ${dialect === 'postgres' ? sql`false` : sql`0`})`.execute(db);
      await row('user_a', 'idn_1', 'a@example.com');
      await row('user_a', 'idn_1', 'a@example.com'); // a duplicate the old table took
      await row('user_a', null, 'no-id@example.com');
      await row('user_b', 'idn_1', 'b@example.com'); // the same id under another user stays apart
      await row('user_b', 'idn_2', 'b2@example.com');

      assert.equal((await migrateToLatest(database))[0]?.migrationName, '009-user-child-keys');

      const { rows } = await sql<{ user_id: string; id: string; email_address: string }>`select user_id, id, email_address from clerk_user_email_addresses order by user_id, id`.execute(db);
      assert.deepEqual(rows, [
        { user_id: 'user_a', id: 'idn_1', email_address: 'a@example.com' },
        { user_id: 'user_b', id: 'idn_1', email_address: 'b@example.com' },
        { user_id: 'user_b', id: 'idn_2', email_address: 'b2@example.com' },
      ]);
      await assert.rejects(row('user_b', 'idn_2', 'again@example.com'), /unique|duplicate/i, 'the key holds');
      await assert.rejects(row('user_c', null, 'c@example.com'), /null/i, 'an id is required');
      const shape = await introspect(db, dialect);
      assert.deepEqual(shape.clerk_user_email_addresses!.primaryKey, ['user_id', 'id']);
      assert.deepEqual(Object.keys(shape.clerk_user_external_accounts!.indexes).sort(), ['clerk_user_external_accounts_address', 'clerk_user_external_accounts_provider']);
    } finally {
      await database.close();
    }
  });
});
