/**
 * One source of truth for the tables: src/tables/ describes them and renders every ORM schema from
 * that description; the migrations create them. Here the migrations run on empty SQLite and
 * PostgreSQL databases, which are introspected, and the description, each rendering (read by its
 * own ORM or compiler) and the package's Kysely types must all agree with what is there: a column
 * added by a migration but not described (or the other way round), a wrong type, nullability,
 * key or index fails with the exact difference.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { pendingMigrations } from '../src/store/migrate.js';
import { SCHEMA_FORMATS, renderSchema } from '../src/tables/formats/index.js';
import { SCHEMA_VERSION, TABLES } from '../src/tables/tables.js';
import { repoTempDir } from './support/env.js';
import { freshDatabaseUrl, migratedDatabaseUrl, testDialects, withDatabase } from './support/db.js';
import { describedShape, differences, introspect, type SchemaShape } from './support/introspect.js';
import { drizzleShape, prismaShape, typeScriptColumns } from './support/schema-readers.js';

const agree = (expected: SchemaShape, actual: SchemaShape, names: { expected: string; actual: string }) => {
  const diff = differences(expected, actual, names);
  assert.deepEqual(diff, [], `${names.actual} disagrees with ${names.expected}:\n  ${diff.join('\n  ')}`);
};

/** Only the synced tables, as renderings without --internal hold. */
const synced = (shape: SchemaShape): SchemaShape => Object.fromEntries(Object.entries(shape).filter(([name]) => !TABLES.find((t) => t.name === name)?.internal));

/** SQLite's integer types are one affinity; drizzle's sqlite-core spells them all `integer`. */
const oneIntegerType = (shape: SchemaShape): SchemaShape =>
  Object.fromEntries(Object.entries(shape).map(([n, t]) => [n, { ...t, columns: Object.fromEntries(Object.entries(t.columns).map(([c, d]) => [c, d.replace(/^bigint/, 'integer')])) }]));

/** Prisma has no words for a partial index: they are left out of its models (and said so in a comment). */
const withoutPartialIndexes = (shape: SchemaShape): SchemaShape =>
  Object.fromEntries(Object.entries(shape).map(([n, t]) => [n, { ...t, indexes: Object.fromEntries(Object.entries(t.indexes).filter(([, d]) => !d.endsWith(' partial'))) }]));

for (const dialect of testDialects()) {
  describe(`the tables agree with the migrations [${dialect}]`, () => {
    let migrated: SchemaShape;
    const rendered = (format: keyof typeof SCHEMA_FORMATS, internal = true) => renderSchema(format, { internal });

    it('the description in src/tables/ is what the migrations create', async () => {
      const url = await migratedDatabaseUrl(dialect);
      migrated = await withDatabase(url, (database) => introspect(database.db, dialect));
      agree(migrated, describedShape(TABLES, dialect), { expected: 'the migrated database', actual: 'src/tables/tables.ts' });
      const all = await withDatabase(await freshDatabaseUrl(dialect), (database) => pendingMigrations(database.db, dialect));
      assert.equal(SCHEMA_VERSION, all.at(-1), 'SCHEMA_VERSION names the last migration: describe what it changed in src/tables/tables.ts');
    });

    it(`--format ${dialect === 'postgres' ? 'sql-pg' : 'sql-sqlite'} run on an empty database creates the same tables`, async () => {
      const url = await freshDatabaseUrl(dialect);
      const created = await withDatabase(url, async (database) => {
        const ddl = rendered(dialect === 'postgres' ? 'sql-pg' : 'sql-sqlite');
        for (const statement of ddl.replace(/^--.*$/gm, '').split(';').map((s) => s.trim()).filter(Boolean)) await sql.raw(statement).execute(database.db);
        return introspect(database.db, dialect);
      });
      agree(migrated, created, { expected: 'the migrated database', actual: 'the SQL rendering' });
    });

    it(`--format ${dialect === 'postgres' ? 'drizzle-pg' : 'drizzle-sqlite'}, as drizzle-orm reads it`, async () => {
      const file = join(repoTempDir(), 'schema.ts');
      writeFileSync(file, rendered(dialect === 'postgres' ? 'drizzle-pg' : 'drizzle-sqlite'));
      const shape = await drizzleShape(await import(file), dialect);
      agree(dialect === 'sqlite' ? oneIntegerType(migrated) : migrated, shape, { expected: 'the migrated database', actual: 'the Drizzle rendering' });
    });

    it('--format prisma, as its models read', () => {
      agree(withoutPartialIndexes(migrated), prismaShape(rendered('prisma'), dialect), { expected: 'the migrated database', actual: 'the Prisma rendering' });
    });

    it('without --internal, a rendering holds the synced clerk_* tables only', async () => {
      const names = Object.keys(prismaShape(rendered('prisma', false), dialect)).sort();
      assert.deepEqual(names, Object.keys(synced(migrated)).sort());
      assert.ok(!names.includes('clerk_webhook_events') && names.includes('clerk_users') && names.length === 20, names.join(', '));
    });
  });
}

describe('the TypeScript types agree with the description', () => {
  const described = Object.fromEntries(TABLES.map((t) => [t.name, Object.fromEntries(t.columns.map((c) => [c.name, c.nullable]))]));

  it('--format kysely: every table, column and nullability (tsc reads the interfaces)', () => {
    const file = join(repoTempDir(), 'kysely.ts');
    writeFileSync(file, renderSchema('kysely', { internal: true }));
    assert.deepEqual(typeScriptColumns(file, 'ClerkSyncTables'), described);
  });

  it("the package's own ClerkSyncDatabase (src/store/schema.ts): every table, column and nullability", () => {
    assert.deepEqual(typeScriptColumns(new URL('../src/store/schema.ts', import.meta.url).pathname, 'ClerkSyncDatabase'), described);
  });
});
