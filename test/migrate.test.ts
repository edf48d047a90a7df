import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../src/store/database.js';
import { pendingMigrations } from '../src/store/migrate.js';
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
