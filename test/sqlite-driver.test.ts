import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.js';
import { tempDbPath } from './support/env.js';

describe('SQLite transactions take the write lock when they begin', () => {
  it('another process cannot commit between a transaction’s read and its write, so the write never fails on a stale snapshot', async () => {
    const path = tempDbPath();
    const database = await openDatabase(path);
    await sql`create table t (id integer primary key, v text)`.execute(database.db);
    const other = new BetterSqlite3(path, { timeout: 0 });
    try {
      let otherWrite: unknown = null;
      await database.db.transaction().execute(async (trx) => {
        await sql`select count(*) from t`.execute(trx);
        // A deferred transaction would still hold only a read snapshot here: the other
        // connection's write would commit, and the write below would fail with SQLITE_BUSY.
        try {
          other.prepare("insert into t (v) values ('other')").run();
        } catch (error) {
          otherWrite = error;
        }
        await sql`insert into t (v) values ('mine')`.execute(trx);
      });
      assert.match(String((otherWrite as { code?: string } | null)?.code), /^SQLITE_BUSY/, 'the other connection had to wait for the write lock');
      const rows = other.prepare('select v from t').all() as { v: string }[];
      assert.deepEqual(rows.map((r) => r.v), ['mine']);
    } finally {
      other.close();
      await database.close();
    }
  });
});
