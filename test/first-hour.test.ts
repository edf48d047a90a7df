/**
 * The mistakes a new user makes in their first hour, each answered with what is wrong and the
 * fix, and the right exit code (2 for configuration), never a stack trace or a silent success.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { runCli } from './support/cli.js';
import { freshDatabaseUrl } from './support/db.js';
import { tempDir } from './support/env.js';

describe('a mistyped --db is refused, not created (only serve, worker and migrate create one)', () => {
  const readers: string[][] = [['events', 'list'], ['events', 'show', 'msg_x'], ['replay', '--all'], ['purge', '--older-than', '30d'], ['backfill']];

  it('a missing SQLite file: every reading command exits 2 naming the path it looked at, and creates nothing', async () => {
    const typo = join(tempDir(), 'typo.db');
    for (const cmd of readers) {
      const r = await runCli([...cmd, '--db', typo], { CLERK_SECRET_KEY: 'sk_test_x' });
      assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`there is no database at ${resolve(typo).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`), cmd.join(' '));
      assert.match(r.stderr, /clerk-sync serve. or .clerk-sync migrate. creates one/);
      assert.equal(existsSync(typo), false, `${cmd.join(' ')} must not create ${typo}`);
    }
  });

  it('a PostgreSQL database without clerk-sync tables: refused with its name, and left without tables', async () => {
    const url = await freshDatabaseUrl('postgres');
    const r = await runCli(['events', 'list', '--db', url]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /has no clerk-sync tables: is it the right database\? `clerk-sync migrate --db \.\.\.` creates them/);
    assert.doesNotMatch(r.stderr, /at |Error:/, 'no stack trace');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'");
      assert.equal(rows[0].n, 0, 'nothing was created');
    } finally {
      await client.end();
    }
  });

  it('after migrate, the same commands work on it', async () => {
    const db = join(tempDir(), 'app.db');
    assert.equal((await runCli(['migrate', '--db', db])).code, 0);
    const r = await runCli(['events', 'list', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
  });
});

