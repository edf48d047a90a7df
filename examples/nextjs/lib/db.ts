import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as pgSchema from './clerk-schema/pg';
import * as sqliteSchema from './clerk-schema/sqlite';
import { databaseUrl } from './clerk-sync';

/** Drizzle on the database clerk-sync writes, with the schema `clerk-sync schema` generated for its dialect. */
export type ClerkDb =
  | { dialect: 'postgres'; db: NodePgDatabase<typeof pgSchema> }
  | { dialect: 'sqlite'; db: BetterSQLite3Database<typeof sqliteSchema> };

const KEY = Symbol.for('clerk-sync-example.drizzle');
const shared = globalThis as { [KEY]?: Promise<ClerkDb> };

/**
 * One Drizzle handle per process, opened on first use (on globalThis, as clerk-sync's own
 * instance, so that dev-mode reloads reuse it instead of opening pools). Call
 * `await clerkSync.ready()` before the first query: that migrates the database.
 */
export function clerkDb(): Promise<ClerkDb> {
  return (shared[KEY] ??= open(databaseUrl).catch((error: unknown) => {
    delete shared[KEY];
    throw error;
  }));
}

/** DATABASE_URL read as clerk-sync reads it; only the driver of that database is loaded. */
async function open(url: string): Promise<ClerkDb> {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const [{ drizzle }, { default: pg }] = await Promise.all([import('drizzle-orm/node-postgres'), import('pg')]);
    // Drizzle runs unnamed statements unless asked for .prepare('name'): a transaction-mode
    // pooler's URL (Neon's -pooler host, Supabase's port 6543) works as it is.
    return { dialect: 'postgres', db: drizzle(new pg.Pool({ connectionString: libpqSslMode(url) }), { schema: pgSchema }) };
  }
  const [{ drizzle }, { default: Database }] = await Promise.all([import('drizzle-orm/better-sqlite3'), import('better-sqlite3')]);
  // A second connection to the file clerk-sync keeps in WAL mode: it reads while clerk-sync writes.
  return { dialect: 'sqlite', db: drizzle(new Database(url.replace(/^(sqlite|file):(\/\/)?/i, '')), { schema: sqliteSchema }) };
}

/** `sslmode=require` as libpq (and clerk-sync) mean it, encrypted without verifying the certificate, not node-pg 8's verify-full. */
function libpqSslMode(url: string): string {
  const parsed = new URL(url);
  if (!/^(prefer|require|verify-ca)$/.test(parsed.searchParams.get('sslmode') ?? '') || parsed.searchParams.has('uselibpqcompat')) return url;
  parsed.searchParams.set('uselibpqcompat', 'true');
  return parsed.toString();
}
