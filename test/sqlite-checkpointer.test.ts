import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, SqliteCheckpointer } from '../src/store/sqlite-checkpointer.js';
import { tempDbPath, waitFor } from './support/env.js';

describe('SQLite checkpoints run beside the commits, not inside them', () => {
  it('a background thread copies committed WAL pages into the database file while the writer is idle', async () => {
    const path = tempDbPath();
    const writer = new BetterSqlite3(path);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0'); // this connection never checkpoints
    writer.exec('create table t (id integer primary key, v text)');
    const insert = writer.prepare('insert into t (v) values (?)');
    writer.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('x'.repeat(2000));
    })();
    const before = statSync(path).size;
    assert.ok(before < 100_000, `the rows are only in the WAL so far (database file ${before} bytes)`);

    const checkpointer = new SqliteCheckpointer(path, 20);
    try {
      const after = await waitFor(() => (statSync(path).size > 4_000_000 ? statSync(path).size : false), { timeoutMs: 5000, what: 'database file to receive the WAL pages' });
      assert.ok(after > 4_000_000);
      // And the writer goes on committing meanwhile (a PASSIVE checkpoint never blocks it).
      insert.run('after');
      assert.equal((writer.prepare('select count(*) n from t').get() as { n: number }).n, 2001);
    } finally {
      await checkpointer.stop();
      writer.close();
    }
  });

  it('openDatabase starts one and leaves commits only a far backstop threshold', async () => {
    const database = await openDatabase(tempDbPath());
    try {
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(database.db);
      assert.equal(rows[0]!.wal_autocheckpoint, BACKSTOP_AUTOCHECKPOINT_PAGES);
    } finally {
      await database.close();
    }
  });
});
