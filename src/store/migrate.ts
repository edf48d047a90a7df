import { sql, type Kysely, type Migration } from 'kysely';
import type { Database } from './database.js';
import type { DialectName } from './dialect.js';
import { coreMigration } from './migrations/001-core.js';
import { catalogMigration } from './migrations/002-catalog.js';
import { backfillMigration } from './migrations/003-backfill.js';
import { adminMigration } from './migrations/004-admin.js';
import { compressionMigration } from './migrations/005-compression.js';
import { endedSessionsMigration } from './migrations/006-ended-sessions.js';
import { schemaChannelMigration } from './migrations/007-schema-channel.js';
import { reconcileMigration } from './migrations/008-reconcile.js';
import { userChildKeysMigration } from './migrations/009-user-child-keys.js';
import { inboxRollupsMigration } from './migrations/010-inbox-rollups.js';

/** Ordered by name; never rename or edit one that has shipped, add a new one. */
export function migrations(dialect: DialectName): Array<[name: string, migration: Migration]> {
  return [
    ['001-core', coreMigration(dialect)],
    ['002-catalog', catalogMigration(dialect)],
    ['003-backfill', backfillMigration(dialect)],
    ['004-admin', adminMigration(dialect)],
    ['005-compression', compressionMigration(dialect)],
    ['006-ended-sessions', endedSessionsMigration()],
    ['007-schema-channel', schemaChannelMigration(dialect)],
    ['008-reconcile', reconcileMigration(dialect)],
    ['009-user-child-keys', userChildKeysMigration(dialect)],
    ['010-inbox-rollups', inboxRollupsMigration()],
  ];
}

/** Applied migrations, one row each (the layout Kysely's Migrator used, so older databases carry on). */
export const MIGRATION_TABLE = 'clerk_sync_migrations';

/** The transaction-level advisory lock that serializes migrations on PostgreSQL. */
const MIGRATION_LOCK = 7_307_112_604_517_634n;

export interface MigrationResult {
  migrationName: string;
  direction: 'Up';
  status: 'Success';
}

/**
 * Brings the schema up to date, and costs one query when it already is (a serverless cold start
 * pays only that). Safe to run from several processes at once: the work runs in one transaction
 * that first takes a lock (a transaction-level advisory lock on PostgreSQL, which a
 * transaction-mode pooler keeps; the write lock on SQLite), then applies what is still missing.
 * Takes a Database (migrating over its DIRECT_URL when it has one), or a Kysely and its dialect.
 */
export async function migrateToLatest(database: Database): Promise<MigrationResult[]>;
export async function migrateToLatest(db: Kysely<any>, dialect: DialectName): Promise<MigrationResult[]>;
export async function migrateToLatest(target: Database | Kysely<any>, dialect?: DialectName): Promise<MigrationResult[]> {
  const [db, name] = 'direct' in target ? [null, target.dialect] : [target, dialect!];
  const schema = 'direct' in target ? target.pgSchema : null;
  const all = migrations(name);
  const applied = await appliedMigrations(db ?? (target as Database).db);
  if (applied && all.every(([n]) => applied.has(n))) return [];
  const run = (on: Kysely<any>) =>
    on.transaction().execute(async (trx) => {
      if (name === 'postgres') await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK)})`.execute(trx);
      // A schema of its own (--pg-schema) is created here; search_path already names it.
      if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
      await trx.schema
        .createTable(MIGRATION_TABLE)
        .ifNotExists()
        .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
        .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
        .execute();
      const done = (await appliedMigrations(trx))!;
      const results: MigrationResult[] = [];
      for (const [migrationName, migration] of all) {
        if (done.has(migrationName)) continue;
        try {
          await migration.up(trx);
        } catch (error) {
          throw new Error(`migration ${migrationName} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        await trx.insertInto(MIGRATION_TABLE).values({ name: migrationName, timestamp: new Date().toISOString() }).execute();
        results.push({ migrationName, direction: 'Up', status: 'Success' });
      }
      return results;
    });
  return db ? run(db) : (target as Database).direct(run);
}

/** Names of migrations not yet applied (for readiness checks and `doctor`). */
export async function pendingMigrations(db: Kysely<any>, dialect: DialectName): Promise<string[]> {
  const applied = (await appliedMigrations(db)) ?? new Set<string>();
  return migrations(dialect)
    .map(([name]) => name)
    .filter((name) => !applied.has(name));
}

/** The applied migrations' names, or null when no migration ever ran here. */
async function appliedMigrations(db: Kysely<any>): Promise<Set<string> | null> {
  try {
    const rows = await db.selectFrom(MIGRATION_TABLE).select('name').execute();
    return new Set(rows.map((r) => r.name as string));
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    if (e.code === '42P01' || /no such table/.test(String(e.message))) return null;
    throw error;
  }
}
