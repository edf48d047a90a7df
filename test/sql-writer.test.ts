import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../src/store/database.js';
import { sqlDialect } from '../src/store/dialect.js';
import { SqlWriter } from '../src/store/sql-writer.js';
import { freshDatabaseUrl, testDialects } from './support/db.js';

/**
 * Deferred writes travel to PostgreSQL as one simple-protocol query in which every parameter is
 * written as an SQL literal: the values must arrive exactly as bound parameters would, whatever
 * they hold, and a failing batch must fail its transaction and leave the pool usable.
 */
const NASTY = [
  "O'Brien",
  "'; drop table batch_probe; --",
  'back\\slash \\x41 \\\\ and \\',
  "E'\\'' mixed",
  '$1 $$ dollar $tag$',
  'ünïcødé ✓ 🙂',
  'line\nbreak\ttab',
  '',
];

for (const dialect of testDialects()) describe(`SqlWriter: deferred statements [${dialect}]`, () => {
  let database: Database;
  before(async () => {
    database = await openDatabase(await freshDatabaseUrl(dialect));
    await sql`create table batch_probe (id integer primary key, t text, n bigint, b boolean, j ${sql.raw(dialect === 'postgres' ? 'jsonb' : 'text')})`.execute(database.db);
  });
  after(() => database.close());

  // Statements reach the writer compiled for their dialect: better-sqlite3 binds no booleans.
  const bool = (b: boolean) => (dialect === 'sqlite' ? Number(b) : b);
  const touch = dialect === 'postgres' ? 'update batch_probe set t = $1 where id = $2' : 'update batch_probe set t = ? where id = ?';
  const insert = (dialect === 'postgres' ? 'insert into batch_probe (id, t, n, b, j) values ($1, $2, $3, $4, $5)' : 'insert into batch_probe (id, t, n, b, j) values (?, ?, ?, ?, ?)');

  it('writes every value exactly as a bound parameter would, in order, only when flushed', async () => {
    const json = JSON.stringify({ quote: "it's", backslash: 'a\\b', nested: { emoji: '🙂' } });
    await database.db.transaction().execute(async (trx) => {
      const w = new SqlWriter(trx, sqlDialect(dialect), { deferred: true });
      for (const [i, t] of NASTY.entries()) await w.run({ sql: insert, parameters: [i, t, 1_700_000_000_000 + i, bool(i % 2 === 0), json] });
      await w.run({ sql: insert, parameters: [100, null, null, null, null] });
      if (dialect === 'postgres') {
        const before = await sql<{ n: number }>`select count(*)::int as n from batch_probe`.execute(trx);
        assert.equal(before.rows[0]!.n, 0, 'deferred writes wait for the flush');
      }
      await w.flush();
    });
    const rows = await sql<{ id: number; t: string | null; n: number | null; b: unknown; j: unknown }>`select * from batch_probe order by id`.execute(database.db);
    assert.deepEqual(rows.rows.map((r) => r.t), [...NASTY, null]);
    assert.deepEqual(rows.rows.map((r) => (r.n === null ? null : Number(r.n))), [...NASTY.map((_, i) => 1_700_000_000_000 + i), null]);
    assert.deepEqual(rows.rows.map((r) => (r.b === null ? null : Boolean(r.b))), [...NASTY.map((_, i) => i % 2 === 0), null]);
    const stored = rows.rows[0]!.j;
    assert.deepEqual(typeof stored === 'string' ? JSON.parse(stored) : stored, JSON.parse(json));
  });

  it('a failing statement fails the flush and rolls the whole batch back; the next transaction works', async () => {
    await assert.rejects(
      database.db.transaction().execute(async (trx) => {
        const w = new SqlWriter(trx, sqlDialect(dialect), { deferred: true });
        await w.run({ sql: insert, parameters: [200, 'kept?', 1, bool(true), null] });
        await w.run({ sql: insert, parameters: [0, 'duplicate key', 1, bool(true), null] });
        // A statement first seen after the failure: its `prepare` never ran, and the connection
        // must not be reused believing it did.
        await w.run({ sql: touch, parameters: ['touched', 1] });
        await w.flush();
      }),
    );
    const none = await sql<{ n: number }>`select count(*) as n from batch_probe where id = 200`.execute(database.db);
    assert.equal(Number(none.rows[0]!.n), 0, 'nothing of the failed batch committed');
    // Many times over, so every pooled connection has seen a failed batch (and was replaced).
    for (let i = 0; i < 12; i++) {
      await database.db.transaction().execute(async (trx) => {
        const w = new SqlWriter(trx, sqlDialect(dialect), { deferred: true });
        await w.run({ sql: insert, parameters: [300 + i, `after ${i}`, i, bool(false), null] });
        await w.run({ sql: touch, parameters: [`touched ${i}`, 300 + i] });
        await w.flush();
      });
    }
    const after = await sql<{ n: number }>`select count(*) as n from batch_probe where id >= 300`.execute(database.db);
    assert.equal(Number(after.rows[0]!.n), 12);
    const touched = await sql<{ t: string }>`select t from batch_probe where id = 311`.execute(database.db);
    assert.equal(touched.rows[0]!.t, 'touched 11');
  });
});
