import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.js';
import { tempDbPath, tempDir } from './support/env.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

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

describe('SQLite: a new file another process is writing', () => {
  it('opens once the other process lets go, though SQLite refuses the switch to WAL at once rather than wait', async () => {
    const path = join(tempDir(), 'new.db');
    // The other process writes the new file's first table and holds its transaction 300 ms, as a
    // second clerk-sync process that opened the file a moment earlier would. Opening it meanwhile
    // reads the empty file, then asks for the write lock to switch it to WAL: SQLite answers
    // SQLITE_BUSY without calling the busy handler, since the asker already holds a read lock.
    const other = spawn(process.execPath, ['-e', `
      const db = new (require('better-sqlite3'))(process.argv[1]);
      db.exec('begin immediate; create table other (id integer primary key)');
      process.stdout.write('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      db.exec('commit');`, path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => other.on('exit', resolve));
    await Promise.race([
      new Promise((resolve) => other.stdout.once('data', resolve)),
      exited.then((code) => assert.fail(`the other process exited (${String(code)}) before it took the lock`)),
    ]);
    const database = await openDatabase(path);
    try {
      assert.equal(await exited, 0);
      assert.equal(database.sqlite!.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(database.sqlite!.prepare("select name from sqlite_master where type = 'table'").pluck().all(), ['other'], 'it opened the file the other process wrote');
    } finally {
      await database.close();
    }
  });
});
