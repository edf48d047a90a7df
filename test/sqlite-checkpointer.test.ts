import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { InboxWriter } from '../src/inbox/writer.js';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, SqliteCheckpointer } from '../src/store/sqlite-checkpointer.js';
import { tempDbPath, waitFor } from './support/env.js';

describe('SQLite checkpoints run beside the commits, not inside them', () => {
  it('a background thread copies committed WAL pages into the database file while the writer is idle', async () => {
    const path = tempDbPath();
    const { writer, insert } = walWriter(path);
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

  it('rewinds the WAL under a steady stream of commits, which PASSIVE checkpoints alone never let start over', async () => {
    const path = tempDbPath();
    const { writer, insert } = walWriter(path);
    // 256 frames (1 MB): the thread rewinds the WAL once a pass leaves it this long.
    const checkpointer = new SqliteCheckpointer(path, 10, 256);
    try {
      const firstSequence = walCheckpointSequence(path);
      // Commits back to back for a second, one an event-loop turn: never a moment without new
      // frames for long, as under load.
      let commits = 0;
      const until = Date.now() + 1000;
      while (Date.now() < until) {
        const turn = checkpointer.writeTurn();
        if (turn) await turn;
        writer.transaction(() => insert.run('x'.repeat(1000)))();
        commits++;
        await nextTurn();
      }
      const written = commits * 4096; // a page a commit, at least
      // PASSIVE passes alone would leave the WAL holding every byte committed. The file's size
      // is its high-water mark, so it also counts the longest stretch the thread went without a
      // rewind: 6-11% of what was written on an idle machine, up to 27% with the cores busy.
      const walBytes = statSync(`${path}-wal`).size;
      assert.ok(walBytes < written / 2, `the WAL should start over, yet it holds ${walBytes} bytes of the ${written} committed`);
      assert.ok(walCheckpointSequence(path) > firstSequence, 'the WAL header counts the rewinds');
      assert.equal((writer.prepare('select count(*) n from t').get() as { n: number }).n, commits);
    } finally {
      await checkpointer.stop();
      writer.close();
    }
  });

  it('while it rewinds the WAL, a write transaction waits without holding the event loop', async () => {
    const path = tempDbPath();
    const database = await openDatabase(path);
    let release = () => {};
    try {
      await sql`create table t (id integer primary key, v text)`.execute(database.db);
      // A reader on an old snapshot makes each RESTART wait for it (5 ms), write lock taken: a
      // window in which the writer would otherwise sleep in SQLite's busy handler.
      release = pinSnapshot(path, 't');
      const rows = Array.from({ length: 50 }, () => 'x'.repeat(4000));
      let waited = 0;
      let shown = 0;
      for (let i = 0; i < 400 && shown < 2; i++) {
        const turn = database.writeTurn();
        if (turn === null) {
          await database.db.transaction().execute(async (trx) => {
            for (const v of rows) await sql`insert into t (v) values (${v})`.execute(trx);
          });
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        // The thread is rewinding: a transaction begun now waits its turn asynchronously, so a
        // callback queued behind it runs first. (Unless the rewind ends in the microseconds
        // before the transaction asks: then it need not wait, hence "at least once".)
        let loopRan = false;
        setImmediate(() => (loopRan = true));
        await database.db.transaction().execute(async (trx) => {
          if (loopRan) shown++;
          await sql`insert into t (v) values ('during')`.execute(trx);
        });
        waited++;
      }
      assert.ok(shown >= 1, `the event loop ran while a transaction waited for the checkpoint (${waited} began during a rewind)`);
      const { rows: during } = await sql<{ n: number }>`select count(*) n from t where v = 'during'`.execute(database.db);
      assert.equal(Number(during[0]!.n), waited);
    } finally {
      release();
      await database.close();
    }
  });

  it("the receiver's group commit waits for a rewind the same way", async () => {
    const path = tempDbPath();
    const database = await openDatabase(path);
    let release = () => {};
    try {
      await migrateToLatest(database);
      const inbox = new InboxWriter(database);
      const record = (n: number) => ({ svixId: `msg_turn_${n}`, type: 'user.created', status: 'pending' as const, eventTimestamp: null, instanceId: null, entityId: null, headers: {}, body: 'x'.repeat(3000), receivedAt: Date.now() });
      release = pinSnapshot(path, 'clerk_webhook_events');
      let n = 0;
      let waited = 0;
      let shown = 0;
      for (let i = 0; i < 2000 && shown < 2; i++) {
        if (database.writeTurn() === null) {
          await Promise.all(Array.from({ length: 20 }, () => inbox.write(record(++n))));
          continue;
        }
        let loopRan = false;
        const written = inbox.write(record(++n));
        setImmediate(() => (loopRan = true));
        assert.deepEqual(await written, { duplicate: false });
        if (loopRan) shown++;
        waited++;
      }
      assert.ok(shown >= 1, `the event loop ran while a commit waited for the checkpoint (${waited} arrived during a rewind)`);
      const { rows } = await sql<{ n: number }>`select count(*) n from clerk_webhook_events`.execute(database.db);
      assert.equal(Number(rows[0]!.n), n);
    } finally {
      release();
      await database.close();
    }
  });

  it('backs off while a read transaction keeps it from rewinding, so the writers do not wait at every pass', async () => {
    const path = tempDbPath();
    const { writer, insert } = walWriter(path);
    const release = pinSnapshot(path, 't');
    // A pass every 10 ms, a rewind wanted from 64 frames on: 150 passes in 1.5 s.
    const checkpointer = new SqliteCheckpointer(path, 10, 64);
    try {
      let windows = 0;
      let inWindow = false;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const turn = checkpointer.writeTurn();
        if (turn && !inWindow) windows++;
        inWindow = turn !== null;
        if (turn) await turn;
        writer.transaction(() => insert.run('x'.repeat(1000)))();
        await nextTurn();
      }
      // Tries at passes 0, 2, 5, 10, 19, 36, 69, 120: about 8 waits, not one every pass.
      assert.ok(windows >= 1, 'it tried to rewind');
      assert.ok(windows <= 20, `the writers waited ${windows} times in 1.5 s`);
    } finally {
      release();
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

/** The WAL header's checkpoint sequence number (bytes 12-15), which grows each time the WAL starts over. */
function walCheckpointSequence(path: string): number {
  const fd = openSync(`${path}-wal`, 'r');
  try {
    const header = Buffer.alloc(16);
    readSync(fd, header, 0, 16, 0);
    return header.readUInt32BE(12);
  } finally {
    closeSync(fd);
  }
}

/** A connection in WAL mode that never checkpoints itself (only the thread does), and a table to fill. */
function walWriter(path: string) {
  const writer = new BetterSqlite3(path);
  writer.pragma('journal_mode = WAL');
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec('create table t (id integer primary key, v text)');
  return { writer, insert: writer.prepare('insert into t (v) values (?)') };
}

/** Another connection holding a read transaction on `table`'s current snapshot, as an app's long read would; returns its release. */
function pinSnapshot(path: string, table: string): () => void {
  const reader = new BetterSqlite3(path);
  reader.exec('begin');
  reader.prepare(`select count(*) from ${table}`).get();
  return () => {
    reader.exec('rollback');
    reader.close();
  };
}
