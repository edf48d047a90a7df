import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { ClerkSyncDatabase } from './schema.js';

// Our bigint columns hold epoch milliseconds, far inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function openPostgres(url: string, options: { poolSize?: number } = {}): Kysely<ClerkSyncDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  return new Kysely<ClerkSyncDatabase>({ dialect: new PostgresDialect({ pool }) });
}
