import { Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';
import type { DialectName } from './dialect.js';
import { coreMigration } from './migrations/001-core.js';
import { catalogMigration } from './migrations/002-catalog.js';
import { backfillMigration } from './migrations/003-backfill.js';
import { adminMigration } from './migrations/004-admin.js';
import { compressionMigration } from './migrations/005-compression.js';

/** Ordered by name; never rename or edit one that has shipped, add a new one. */
function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '001-core': coreMigration(dialect),
    '002-catalog': catalogMigration(dialect),
    '003-backfill': backfillMigration(dialect),
    '004-admin': adminMigration(dialect),
    '005-compression': compressionMigration(dialect),
  };
}

export const MIGRATION_TABLE = 'clerk_sync_migrations';

export function migrator(db: Kysely<any>, dialect: DialectName): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
}

/**
 * Brings the schema up to date. Safe to run from several processes at once: Kysely's migrator
 * holds a lock (a row lock on PostgreSQL, the write lock on SQLite) while it works.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: DialectName): Promise<MigrationResult[]> {
  const { error, results } = await migrator(db, dialect).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return results ?? [];
}

/** Names of migrations not yet applied (for readiness checks and `doctor`). */
export async function pendingMigrations(db: Kysely<any>, dialect: DialectName): Promise<string[]> {
  const all = await migrator(db, dialect).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
